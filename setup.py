"""Install glamor_mm. Use ``bash tools/setup_env.sh``: it installs the
OpenMMLab stack (mmcv with compiled ops is built from source) before this
package. ``pip install -e . --no-deps`` alone installs only glamor_mm."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version() -> str:
    """Read ``__version__`` from glamor_mm/version.py without importing it."""
    scope: dict = {}
    with open(osp.join(HERE, 'glamor_mm', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(name: str) -> list:
    """Requirement lines of ``requirements/<name>.txt`` without comments."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def add_mim_extension() -> None:
    """Copy configs (with their metafiles), tools, demos and the model index
    into ``glamor_mm/.mim`` when building a wheel or an sdist, as MMPretrain
    does, so that an installed glamor_mm finds its default configs
    (``glamor_mm.utils.resolve_config_path``) and its model zoo
    (``GlamorInferencer.list_models``), and MIM finds its configs. An editable install reads them from the
    repository instead."""
    if not {'sdist', 'bdist_wheel'} & set(sys.argv):
        return
    mim_path = osp.join(HERE, 'glamor_mm', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('configs', 'tools', 'demo'):
        target = osp.join(mim_path, name)
        if osp.isdir(target):
            shutil.rmtree(target)
        shutil.copytree(
            osp.join(HERE, name),
            target,
            ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    shutil.copy(osp.join(HERE, 'model-index.yml'), mim_path)


add_mim_extension()
setup(
    name='glamor_mm',
    version=get_version(),
    description='GLAMOR-Net context-aware emotion recognition on OpenMMLab '
    '(MMPretrain plugin)',
    long_description=open(osp.join(HERE, 'README.md')).read() if osp.exists(
        osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'demo', 'tests*')),
    license='Apache License 2.0',
    python_requires='>=3.8',
    install_requires=parse_requirements('runtime'),
    extras_require={
        'mim': parse_requirements('mminstall'),
        'tests': parse_requirements('tests'),
        'optional': parse_requirements('optional'),
        'docs': parse_requirements('docs'),
    },
    include_package_data=True,
    zip_safe=False,
)
