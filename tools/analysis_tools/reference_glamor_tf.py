"""A reconstruction of the GLAMOR-Net authors' TensorFlow model, for speed.

Written for ``benchmark_reference_implementations.py`` from the structure
of github.com/minhnhatvt/glamor-net (it is a reconstruction, not their
code, and is not used to train or to load weights):

- ``model.py``: ``EncodingBlock`` (3x3 ``Conv2D`` 'same' with bias,
  ``BatchNormalization``, ``ReLU``, 2x2 ``MaxPool2D``), ``EncodingNet``
  (five blocks), ``GLAMORNet`` (global average pooling of the face; the GLA
  module built per call from ``RepeatVector``, ``Reshape``,
  ``Concatenate``, Dense 128 + ReLU, BatchNormalization, ReLU, Dense 1,
  softmax over the locations and a ``Dot``; the fusion weights from two
  Dense 128 + ReLU -> Dense 1 scorers and a softmax; Dense 128 + ReLU,
  dropout and a softmax classifier);
- ``config.py``: widths ``[32, 64, 128, 256, 256]`` and max-pooling after
  all but the last block for both encoders, dropout 0.5, 7 classes, SGD
  with momentum 0.9 and a piecewise-constant learning rate from 5e-4;
- ``train.py`` (``train``): one step is a ``tf.GradientTape`` around the
  forward pass, ``SparseCategoricalCrossentropy`` on the softmax scores,
  the ``Mean`` loss and ``SparseCategoricalAccuracy`` metrics,
  ``tape.gradient`` and ``optimizer.apply_gradients``, run eagerly (as
  shipped); :func:`make_train_step` also returns it for ``tf.function``;
- ``data_utils.py``: NHWC float32 views in [0, 1] (here cast from uint8
  inside the step, as the other implementations' steps normalise theirs).

Importing this module imports TensorFlow (``tensorflow-cpu`` in
``requirements/optional.txt``) and fails with an ImportError saying so if
it is not installed.
"""
import os
from typing import Callable, Sequence

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
try:
    import tensorflow as tf
except ImportError as err:  # pragma: no cover - depends on the install
    raise ImportError(
        'The TensorFlow reference (the GLAMOR-Net authors\' model) needs '
        'TensorFlow: pip install tensorflow-cpu (listed in '
        'requirements/optional.txt).') from err

keras = tf.keras

ENCODER_WIDTHS = (32, 64, 128, 256, 256)
ENCODER_POOLING = (True, True, True, True, False)


def set_threads(num_threads: int) -> None:
    """Give TensorFlow ``num_threads`` intra-op and inter-op threads.

    Must run before TensorFlow runs its first operation.

    Args:
        num_threads (int): Threads of each pool.
    """
    tf.config.threading.set_intra_op_parallelism_threads(num_threads)
    tf.config.threading.set_inter_op_parallelism_threads(num_threads)


class EncodingBlock(keras.Model):
    """Conv 3x3 -> BN -> ReLU [-> max-pool 2x2] on NHWC tensors."""

    def __init__(self, width: int, pool: bool) -> None:
        super().__init__()
        self.conv = keras.layers.Conv2D(width, 3, padding='same')
        self.bn = keras.layers.BatchNormalization(axis=-1)
        self.relu = keras.layers.ReLU()
        self.pool = keras.layers.MaxPool2D((2, 2)) if pool else None

    def call(self, x, training=False):
        x = self.relu(self.bn(self.conv(x), training=training))
        return self.pool(x) if self.pool is not None else x


class EncodingNet(keras.Model):
    """Five encoding blocks."""

    def __init__(self,
                 widths: Sequence[int] = ENCODER_WIDTHS,
                 pooling: Sequence[bool] = ENCODER_POOLING) -> None:
        super().__init__()
        self.blocks = [
            EncodingBlock(width, pool)
            for width, pool in zip(widths, pooling)
        ]

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x, training=training)
        return x


class GlamorNetTF(keras.Model):
    """GLAMOR-Net as the authors' ``GLAMORNet``: softmax scores (N, 7).

    Args:
        num_classes (int): Classes. Defaults to 7.
        dropout (float): Dropout before the classifier. Defaults to 0.5.
    """

    def __init__(self, num_classes: int = 7, dropout: float = 0.5) -> None:
        super().__init__()
        self.face_encoder = EncodingNet()
        self.context_encoder = EncodingNet()
        self.face_reduction = keras.layers.GlobalAveragePooling2D()
        self.attention_fc1 = keras.layers.Dense(128, activation='relu')
        self.attention_fc1_bn = keras.layers.BatchNormalization()
        self.attention_fc2 = keras.layers.Dense(1)
        self.attention_dot = keras.layers.Dot(axes=1)
        self.face_weight1 = keras.layers.Dense(128, activation='relu')
        self.face_weight2 = keras.layers.Dense(1)
        self.context_weight1 = keras.layers.Dense(128, activation='relu')
        self.context_weight2 = keras.layers.Dense(1)
        self.weights_concat = keras.layers.Concatenate(axis=-1)
        self.weights_softmax = keras.layers.Activation('softmax')
        self.final_fc1 = keras.layers.Dense(128, activation='relu')
        self.final_dropout = keras.layers.Dropout(dropout)
        self.final_classify = keras.layers.Dense(
            num_classes, activation='softmax')

    def call(self, face, context, training=False):
        """Face (N, 96, 96, 3) and context (N, 112, 112, 3) in [0, 1]."""
        face = self.face_encoder(face, training=training)
        context = self.context_encoder(context, training=training)
        face_vector = self.face_reduction(face)
        # GLA: the weightless layers are made per call, as in model.py
        _, height, width, channels = context.shape
        locations = height * width
        repeated = keras.layers.RepeatVector(locations)(face_vector)
        context_vectors = keras.layers.Reshape(
            (locations, channels))(context)
        pairs = keras.layers.Concatenate(axis=-1)(
            [repeated, context_vectors])
        attention = self.attention_fc1(pairs)
        attention = self.attention_fc1_bn(attention, training=training)
        attention = keras.layers.Activation('relu')(attention)
        attention = tf.nn.softmax(self.attention_fc2(attention), axis=1)
        context_vector = keras.layers.Reshape((channels, ))(
            self.attention_dot([context_vectors, attention]))
        # fusion
        w_f = self.face_weight2(self.face_weight1(face_vector))
        w_c = self.context_weight2(self.context_weight1(context_vector))
        w_fc = self.weights_softmax(self.weights_concat([w_f, w_c]))
        face_vector = face_vector * tf.expand_dims(w_fc[:, 0], axis=-1)
        context_vector = context_vector * tf.expand_dims(w_fc[:, 1], axis=-1)
        features = keras.layers.Concatenate(axis=-1)(
            [face_vector, context_vector])
        features = self.final_dropout(
            self.final_fc1(features), training=training)
        return self.final_classify(features)


def make_optimizer(steps_per_epoch: int = 1000) -> keras.optimizers.SGD:
    """The authors' SGD: momentum 0.9, learning rate 5e-4, x0.1 after
    epochs 25 and 40 (a ``PiecewiseConstantDecay``).

    Args:
        steps_per_epoch (int): Batches an epoch. Defaults to 1000.
    """
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
        [25 * steps_per_epoch, 40 * steps_per_epoch], [5e-4, 5e-5, 1e-5])
    return keras.optimizers.SGD(learning_rate=schedule, momentum=0.9)


def to_inputs(view):
    """A uint8 NHWC view as the model's float32 input in [0, 1]."""
    return tf.cast(view, tf.float32) / 255.


def make_train_step(model: GlamorNetTF,
                    optimizer: keras.optimizers.Optimizer,
                    graph: bool) -> Callable:
    """The training step of the authors' ``train`` loop.

    Args:
        model (GlamorNetTF): The model.
        optimizer (keras.optimizers.Optimizer): Its optimizer.
        graph (bool): Wrap the step in ``tf.function`` (False: eager, as
            shipped).

    Returns:
        Callable: ``step(face, context, labels)`` on uint8 NHWC views and
        int labels; returns the running training accuracy (a tensor).
    """
    train_loss = keras.metrics.Mean('train_loss', dtype=tf.float32)
    train_accuracy = keras.metrics.SparseCategoricalAccuracy('train_accuracy')
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def step(face, context, labels):
        with tf.GradientTape() as tape:
            scores = model(
                to_inputs(face), to_inputs(context), training=True)
            loss = loss_fn(labels, scores)
            train_loss(loss)
            accuracy = train_accuracy(labels, scores)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients([
                (grad, var)
                for grad, var in zip(gradients, model.trainable_variables)
                if grad is not None
            ])
        return accuracy

    return tf.function(step) if graph else step


def make_predict(model: GlamorNetTF, graph: bool) -> Callable:
    """Inference as the authors' ``eval``: softmax scores of uint8 views.

    Args:
        model (GlamorNetTF): The model.
        graph (bool): Wrap it in ``tf.function`` (False: eager).

    Returns:
        Callable: ``predict(face, context)`` -> scores (N, num_classes).
    """

    def predict(face, context):
        return model(to_inputs(face), to_inputs(context), training=False)

    return tf.function(predict) if graph else predict
