"""Recognise the emotion of every face in pictures.

Detects the faces with an MMDet face detector, classifies each with a
GLAMOR-Net model (the context of a picture is encoded once, with all faces
masked) and writes, per picture, a drawing with the boxes, labels and each
face's attention map over the masked context, named after the picture's file
(``photo.jpg`` and ``photo.png`` get one each). A picture of a folder that
cannot be read or processed is skipped and reported with its reason; the
demo then writes the results of the others and exits with status 3. Too many
failures in a row (``--max-consecutive-failures``) stop it with status 1.

Without a config, the face-only FER2013 model that ``tools/setup_env.sh``
converts into its cache is used (its labels say so).

Examples:
    python demo/image_demo.py photo.jpg
    python demo/image_demo.py photo.jpg configs/glamor_r18_caers.py \\
        work_dirs/glamor_r18_caers/epoch_60.pth --out-dir outputs/
    python demo/image_demo.py photos/ CONFIG CKPT \\
        --detector configs/face_detectors/dlib_cnn.py
"""
import os.path as osp
import sys
from argparse import ArgumentParser

import mmengine

from inferencer_args import add_inferencer_args, build_inferencer

# --max-consecutive-failures and the exit status, as the tools have them
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', 'tools'))
from input_failures_cli import add_failure_argument, exit_if_failed  # noqa


def parse_args():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('img', help='image file or folder of images')
    add_inferencer_args(parser)
    parser.add_argument(
        '--out-dir',
        default='outputs/image_demo',
        help='output folder of the drawings')
    parser.add_argument(
        '--no-attention',
        action='store_true',
        help='do not draw the attention tiles')
    parser.add_argument(
        '--show', action='store_true', help='show each result in a window')
    parser.add_argument(
        '--out-json', default=None, help='also dump the predictions')
    add_failure_argument(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    inferencer = build_inferencer(args)
    results = inferencer(
        args.img,
        show=args.show,
        show_dir=args.out_dir,
        draw_attention=not args.no_attention,
        max_consecutive_failures=args.max_consecutive_failures)
    for result in results:
        faces = ', '.join(f"{i}: {f['pred_class']} {f['pred_score']:.2f} "
                          f"at {[round(v) for v in f['bbox']]}"
                          for i, f in enumerate(result['faces'], start=1))
        print(f"{result['img_path']}: "
              f"{result['error'] or faces or 'no face found'}")
    print(f'Drawings written to {args.out_dir}')
    if args.out_json:
        for result in results:
            result.pop('visualization')
            for face in result['faces']:
                for key in ('pred_scores', 'attention'):
                    if face[key] is not None:
                        face[key] = face[key].tolist()
        mmengine.dump(results, args.out_json)
    exit_if_failed([(r['img_path'], r['error'])
                    for r in results if r['error']], 'picture', len(results))


if __name__ == '__main__':
    main()
