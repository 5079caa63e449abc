"""Optional MMAction2 backbones (``type='mmaction.C3D'``, ...) in a stream."""


def import_mmaction_models(model_type: str) -> None:
    """Import ``mmaction.models`` so that MMAction2's models are registered.

    glamor_mm does not need MMAction2 for images; a config that names an
    MMAction2 model (``type='mmaction.C3D'``) calls this before building it,
    so that a missing or broken MMAction2 gives one clear error instead of
    MMEngine's "not in the registry".

    Args:
        model_type (str): The requested type, e.g. ``'mmaction.C3D'``; only
            named in the error.

    Raises:
        ImportError: If ``mmaction.models`` cannot be imported.
    """
    try:
        import mmaction.models  # noqa: F401
    except ImportError as error:
        raise ImportError(
            f"The model type '{model_type}' is an MMAction2 model, but "
            f'`import mmaction.models` fails ({error}). Install MMAction2 '
            'with `bash tools/setup_env.sh`: the PyPI files of mmaction2 '
            '1.2.0 miss mmaction/models/localizers/drn, so a plain '
            '`pip install mmaction2` cannot import its models; setup_env.sh '
            'builds it from the sdist without that import.') from error
