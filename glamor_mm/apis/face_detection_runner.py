"""Run a face detector over many inputs in worker processes, with resume.

``tools/detect_faces.py`` (images) and ``tools/detect_face_tracks.py``
(videos) share this runner: each process builds its detector once
(:func:`init_worker`); the record of every input is appended to a
``.partial.jsonl`` file as soon as it is known, whose first line records the
run's settings, so that an interrupted run resumes (:func:`load_partial`)
and a run with other settings is refused (:func:`check_same_run`). A record
with an ``error`` is a failed input (:class:`~.input_failures.InputFailures`).
"""
import json
import multiprocessing
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmengine.utils import ProgressBar

from .face_detection import FaceDetections, detect_faces, init_face_detector
from .image_files import read_image
from .input_failures import (DEFAULT_MAX_CONSECUTIVE_FAILURES, InputFailures,
                             failure_reason)

# The detector of this process and its score threshold (init_worker).
_DETECTOR = None
_SCORE_THR = 0.


def check_same_run(ident: dict, previous: dict, source: str) -> None:
    """Raise if ``source`` was made by a run with other settings.

    Args:
        ident (dict): The settings of this run.
        previous (dict): The settings recorded in ``source``.
        source (str): The file, for the message.

    Raises:
        ValueError: Naming every setting that differs.
    """
    differ = sorted(
        k for k in set(ident) | set(previous)
        if ident.get(k) != previous.get(k))
    if differ:
        raise ValueError(
            f'{source} was made by another run (differs in ' +
            ', '.join(f'{k}: {previous.get(k)!r} there, {ident.get(k)!r} '
                      'now' for k in differ) +
            '); use --restart to start over, or another --out.')


def load_partial(partial_file: str,
                 ident: dict,
                 key: str = 'img_path') -> Dict[str, dict]:
    """Records of an interrupted run: ``record[key] -> record``.

    Records of inputs that failed are left out, so that they are tried
    again.

    Args:
        partial_file (str): The ``.partial.jsonl`` file (may not exist).
        ident (dict): The settings of this run; a file made with others
            is refused (see :func:`check_same_run`).
        key (str): Field naming the input of a record. Defaults to
            'img_path'.

    Returns:
        dict: The records found.
    """
    done = {}
    if osp.isfile(partial_file):
        with open(partial_file) as f:
            lines = f.read().splitlines()
        if lines:
            check_same_run(ident, json.loads(lines[0]), partial_file)
        for line in lines[1:]:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of a killed run may be cut
            if 'error' not in record:
                done[record[key]] = record
    return done


def init_worker(config: str, checkpoint: Optional[str], device: str,
                score_thr: float, num_threads: Optional[int]) -> None:
    """Build this process's detector once.

    Args:
        config (str): MMDet face-detector config.
        checkpoint (str, optional): Its weights (None for dlib).
        device (str): Device.
        score_thr (float): Detections below it are dropped.
        num_threads (int, optional): Torch threads of the process; None
            keeps torch's default.
    """
    global _DETECTOR, _SCORE_THR
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    _DETECTOR = init_face_detector(config, checkpoint, device=device)
    _SCORE_THR = score_thr


def detect_in_worker(img) -> FaceDetections:
    """Detect faces with this process's detector (:func:`init_worker`).

    Args:
        img (str | np.ndarray): An image path or a BGR uint8 array of shape
            (H, W, 3).

    Returns:
        tuple[np.ndarray, np.ndarray]: Boxes (K, 4) and scores (K,), as
        :func:`~.face_detection.detect_faces`.
    """
    if _DETECTOR is None:
        raise RuntimeError('detect_in_worker: call init_worker first.')
    return detect_faces(_DETECTOR, img, _SCORE_THR)[0]


def detect_image(task: Tuple[str, str]) -> dict:
    """Detect the faces of one image with this process's detector.

    Args:
        task (tuple[str, str]): ``(relative path, path)`` of the image.

    Returns:
        dict: ``img_path``, ``ori_shape``, ``bboxes`` and ``scores``; or
        ``img_path`` and ``error`` (the reason) if the image cannot be read
        or the detector fails on it.
    """
    rel_path, path = task
    try:
        img = read_image(path)
        bboxes, scores = detect_in_worker(img)
    except Exception as e:
        return dict(img_path=rel_path, error=failure_reason(e))
    return dict(
        img_path=rel_path,
        ori_shape=list(img.shape[:2]),
        bboxes=[[round(float(v), 2) for v in box] for box in bboxes],
        scores=[round(float(s), 4) for s in scores])


def run_detection(
        tasks: List[Tuple[str, str]],
        partial_file: str,
        ident: dict,
        config: str,
        checkpoint: Optional[str] = None,
        device: str = 'cpu',
        score_thr: float = 0.,
        workers: int = 1,
        restart: bool = False,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        work: Callable[[Tuple[str, str]], dict] = detect_image,
        key: str = 'img_path',
        kind: str = 'image') -> Dict[str, dict]:
    """Run ``work`` on ``tasks``, appending each result to the partial file.

    The detector of each process is built by :func:`init_worker`;
    ``workers`` processes share the tasks (on the CPU, one torch thread
    each).

    Args:
        tasks (list[tuple[str, str]]): ``(relative path, path)`` pairs.
        partial_file (str): File the records are appended to.
        ident (dict): The run's settings, first line of a new partial file.
        config (str): MMDet face-detector config.
        checkpoint (str, optional): Its weights. Defaults to None.
        device (str): Device with one worker. Defaults to 'cpu'.
        score_thr (float): Detections below it are dropped. Defaults to 0.
        workers (int): Processes. Defaults to 1.
        restart (bool): Start a new partial file even if one exists.
            Defaults to False.
        max_consecutive_failures (int): Failed records in a row that stop
            the run; 0: never.
        work (callable): Turns a task into a JSON-able record, with the
            detector of its process (:func:`detect_in_worker`). Defaults to
            :func:`detect_image`.
        key (str): Field of a record naming its input. Defaults to
            'img_path'.
        kind (str): What the inputs are, for messages. Defaults to 'image'.

    Returns:
        dict: ``record[key] -> record`` of the new results.

    Raises:
        TooManyFailuresError: After ``max_consecutive_failures`` failed
            records in a row (those records are in the partial file).
    """
    done = {}
    failures = InputFailures(max_consecutive_failures, kind)
    new_file = restart or not osp.isfile(partial_file)
    with open(partial_file, 'w' if new_file else 'a') as f:
        if new_file:
            f.write(json.dumps(ident) + '\n')
        if not tasks:
            return done
        initargs = (config, checkpoint, 'cpu' if workers > 1 else device,
                    score_thr, 1 if workers > 1 else None)
        if workers > 1:
            pool = multiprocessing.Pool(workers, init_worker, initargs)
            results = pool.imap_unordered(work, tasks, chunksize=4)
        else:
            pool = None
            init_worker(*initargs)
            results = map(work, tasks)
        progress = ProgressBar(len(tasks))
        try:
            for record in results:
                f.write(json.dumps(record) + '\n')
                f.flush()
                done[record[key]] = record
                progress.update()
                if 'error' in record:
                    failures.add(record[key], record['error'])
                else:
                    failures.succeeded()
        finally:
            if pool is not None:
                pool.terminate()
        print()
    return done
