"""The model zoo (model-index.yml + configs/*/metafile.yml, the OpenMMLab
MIM format) lists every config once, with its paper, table row and the
number the paper reports, and ``GlamorInferencer.list_models`` reads it."""
import glob
import os.path as osp
import re

import pytest
from modelindex import load

from glamor_mm.apis import GlamorInferencer

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# not models: bases, MMDet face detectors, the toy wrappers of table rows
NOT_MODELS = ('configs/_base_/', 'configs/face_detectors/', 'configs/toy/')


@pytest.fixture(scope='module')
def models():
    index = load(osp.join(ROOT, 'model-index.yml'))
    index.build_models_with_collections()
    return index.models


def test_every_config_is_listed_once(models):
    configs = sorted(
        osp.relpath(path, ROOT)
        for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                              recursive=True)
        if not osp.relpath(path, ROOT).startswith(NOT_MODELS))
    listed = [model.config for model in models]
    assert sorted(listed) == configs
    for model in models:
        assert model.name == osp.splitext(osp.basename(model.config))[0]


def test_every_model_has_its_paper_and_table_row(models):
    for model in models:
        paper = model.full_model.paper
        # GLAMOR-Net, CAER-Net, and the default face model's mini-Xception
        assert paper['URL'] in ('https://arxiv.org/abs/2111.04129',
                                'https://arxiv.org/abs/1908.05913',
                                'https://arxiv.org/abs/1710.07557'), model.name
        assert model.metadata.data['Table Row'], model.name


def test_reported_numbers_are_those_of_the_docs(models):
    docs = ''.join(
        open(osp.join(ROOT, 'docs', page), encoding='utf-8').read()
        for page in ('results.md', 'user_guides/video.md',
                     'user_guides/converters_and_model_zoo.md',
                     'user_guides/real_labels.md', 'get_started.md'))
    numbers = 0
    for model in models:
        for result in model.results or []:
            top1 = result.metrics['Top 1 Accuracy']
            assert isinstance(top1, float) and 0 < top1 <= 100, model.name
            assert re.search(rf'\b{top1:.2f}\b|\b{top1:.1f} ?(%|±)', docs), (
                model.name, top1)
            numbers += 1
    assert numbers >= 30


def test_converted_models_give_a_runnable_conversion_command(models):
    converted = {
        model.name: model.full_model.data['Converted From']
        for model in models if 'Converted From' in model.full_model.data
    }
    assert set(converted) == {
        'glamor_original_tf-authors_ncaers',
        'caernet-s_original_pytorch-caer_caers', 'mini-xception_fer2013_face'
    }
    for source in converted.values():
        tool = source['Command'].split()[1]
        assert osp.isfile(osp.join(ROOT, tool)), tool
        assert source['Code'].startswith('https://github.com/')


def test_list_models_reads_the_model_index(models):
    names = GlamorInferencer.list_models()
    assert names == sorted(model.name for model in models)
    assert GlamorInferencer.list_models('glamor_original_1xb32-60e') == [
        'glamor_original_1xb32-60e_caers', 'glamor_original_1xb32-60e_ncaers'
    ]
    assert GlamorInferencer.list_models('no-such-model') == []
