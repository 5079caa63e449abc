"""An installed glamor_mm (a wheel, not the repository) used from another
folder finds its own configs and model zoo: they are packaged under
glamor_mm/.mim like MMPretrain's, and default config paths resolve against
the package."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

PROBE = '''
import os.path as osp, sys
import cv2
import glamor_mm
site, photo, face_core = sys.argv[1], sys.argv[2], eval(sys.argv[3])
assert glamor_mm.__file__.startswith(site), glamor_mm.__file__
from glamor_mm.apis import GlamorInferencer
from glamor_mm.datasets.transforms import DetectFace
from glamor_mm.utils import resolve_config_path
config = resolve_config_path('configs/face_detectors/dlib_hog.py')
assert config.startswith(osp.join(site, 'glamor_mm', '.mim')), config
# DetectFace and GlamorInferencer with their default detector config
x1, y1, x2, y2 = DetectFace()(dict(img=cv2.imread(photo)))['face_bbox']
cx1, cy1, cx2, cy2 = face_core
assert x1 <= cx1 and y1 <= cy1 and x2 >= cx2 and y2 >= cy2, (x1, y1, x2, y2)
inferencer = GlamorInferencer('configs/glamor/glamor_original_1xb32-12e_toy.py')
faces = inferencer(photo)[0]['faces']
assert len(faces) == 1 and len(faces[0]['pred_scores']) == 7
# the model zoo ships with the configs
names = GlamorInferencer.list_models()
assert 'glamor_original_tf-authors_ncaers' in names and len(names) > 30, names
print('ok')
'''


@pytest.mark.slow  # builds and installs a wheel
def test_installed_package_works_from_another_folder(tmp_path, real_photos):
    # build from a copy: the build writes glamor_mm/.mim and build/
    src = tmp_path / 'src'
    for name in ('glamor_mm', 'configs', 'tools', 'demo', 'requirements'):
        shutil.copytree(
            osp.join(ROOT, name),
            src / name,
            ignore=shutil.ignore_patterns('__pycache__', '.mim'))
    for name in ('setup.py', 'MANIFEST.in', 'README.md', 'LICENSE',
                 'CHANGELOG.md', 'model-index.yml'):
        shutil.copy(osp.join(ROOT, name), src / name)
    wheels, site = tmp_path / 'wheels', tmp_path / 'site'
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    options = ['--no-deps', '--no-build-isolation', '--quiet']
    subprocess.run(
        pip + ['wheel', str(src), '-w', str(wheels)] + options,
        check=True,
        cwd=tmp_path,
        timeout=600)
    wheel, = wheels.iterdir()
    subprocess.run(
        pip + ['install', '--target',
               str(site), str(wheel)] + options,
        check=True,
        cwd=tmp_path,
        timeout=600)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    photo = real_photos['grace_hopper']
    proc = subprocess.run([
        sys.executable, '-c', PROBE,
        str(site), photo['path'],
        repr(photo['face']['core'])
    ],
                          cwd=elsewhere,
                          env=dict(os.environ, PYTHONPATH=str(site)),
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0 and 'ok' in proc.stdout, proc.stderr[-3000:]
