# Copyright 2026 The bmg_agents Authors. All Rights Reserved.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Few-shot datasets on disk and the N-way M-shot task sampler (App. D.2).

Few-shot classification data is not a dm_env environment (there are no time
steps, actions or rewards), and only the MAML agent uses it, so it lives in
the agent's package rather than in `bmg_agents/environments/`.

The loaders are written here because no library of the pinned stack loads
these few-shot splits: tensorflow-datasets is not installed (and would pull
TensorFlow into a pure-JAX agent); its Omniglot has only the background /
evaluation splits and it has no MiniImagenet; the libraries that ship the
Ravi & Larochelle / Vinyals splits (learn2learn, torchmeta) are PyTorch.

Every dataset becomes a `FewShotDataset`: three class-disjoint splits, each a
class-major uint8 array [classes, instances, height, width, channels]. Tasks
are then sampled on device by the pure function `sample_tasks`, so the same
key always gives the same episodes and sampling can sit inside a jitted
meta-training step.
"""

import csv
import hashlib
import os
import pickle
from typing import Dict, List, NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from bmg_agents.maml_bmg import glyphs

SPLITS = ('train', 'val', 'test')
DATASETS = ('embedded', 'miniimagenet', 'omniglot')


class DatasetError(ValueError):
  """A dataset path is missing or malformed; the message names the path."""


class FewShotDataset(NamedTuple):
  """Class-disjoint meta-train / meta-validation / meta-test splits.

  Attributes:
    train: uint8 [classes, instances, height, width, channels].
    val: as `train`, with other classes.
    test: as `train`, with other classes.
    name: a short description.
  """
  train: np.ndarray
  val: np.ndarray
  test: np.ndarray
  name: str


class Task(NamedTuple):
  """One N-way M-shot task (leading meta-batch axis when batched).

  Attributes:
    support_images: float32 [N * M, height, width, channels] in [0, 1]; the
      task's training set D_tau.
    support_labels: int32 [N * M] in [0, N).
    query_images: float32 [N * Q, height, width, channels]; the task's
      validation set D'_tau (disjoint images of the same classes).
    query_labels: int32 [N * Q].
  """
  support_images: jnp.ndarray
  support_labels: jnp.ndarray
  query_images: jnp.ndarray
  query_labels: jnp.ndarray


def sample_task(key: jax.Array, images: jnp.ndarray, ways: int, shots: int,
                queries: int) -> Task:
  """Samples one N-way M-shot task following Vinyals et al. (2016).

  N classes are drawn without replacement from the split; for each class,
  M + Q distinct instances are drawn without replacement, the first M forming
  the support set and the other Q the query set. The class drawn i-th gets
  label i, so labels are a random assignment of classes.

  Args:
    key: PRNG key; the same key gives the same task.
    images: uint8 [classes, instances, height, width, channels], one split.
    ways: N, classes per task.
    shots: M, support examples per class.
    queries: Q, query examples per class.

  Returns:
    The task, with images scaled to [0, 1].
  """
  images = jnp.asarray(images)
  num_classes, num_instances = images.shape[:2]
  class_key, instance_key = jax.random.split(key)
  classes = jax.random.choice(class_key, num_classes, (ways,), replace=False)
  order = jax.vmap(lambda k: jax.random.permutation(k, num_instances))(
      jax.random.split(instance_key, ways))[:, :shots + queries]
  chosen = images[classes[:, None], order].astype(jnp.float32) / 255.
  labels = jnp.broadcast_to(
      jnp.arange(ways, dtype=jnp.int32)[:, None], order.shape)
  flat = lambda x: x.reshape((-1,) + x.shape[2:])
  return Task(support_images=flat(chosen[:, :shots]),
              support_labels=flat(labels[:, :shots]),
              query_images=flat(chosen[:, shots:]),
              query_labels=flat(labels[:, shots:]))


def sample_tasks(key: jax.Array, images: jnp.ndarray, num_tasks: int,
                 ways: int, shots: int, queries: int) -> Task:
  """Samples a batch of independent tasks; leading axis `num_tasks`."""
  keys = jax.random.split(key, num_tasks)
  return jax.vmap(lambda k: sample_task(k, images, ways, shots, queries))(keys)


def check_task_shape(images: np.ndarray, ways: int, shots: int,
                     queries: int, split: str) -> None:
  """Raises ValueError if `images` is too small for N-way (M + Q)-shot."""
  if images.shape[0] < ways:
    raise ValueError(f'ways={ways}: the {split} split has only '
                     f'{images.shape[0]} classes.')
  if images.shape[1] < shots + queries:
    raise ValueError(f'shots + queries = {shots + queries}: the {split} split '
                     f'has only {images.shape[1]} instances per class.')


# ----------------------------------------------------------------------------
# Loaders.


def _read_image(path: str, image_size: int, mode: str) -> np.ndarray:
  try:
    with Image.open(path) as image:
      image = image.convert(mode)
      if image.size != (image_size, image_size):
        image = image.resize((image_size, image_size), Image.LANCZOS)
      array = np.asarray(image, np.uint8)
  except (OSError, ValueError) as e:
    raise DatasetError(f'{path}: cannot read image ({e}).') from None
  return array.reshape(image_size, image_size, -1)


def _class_major(per_class: Dict[str, List[np.ndarray]],
                 where: str) -> np.ndarray:
  """Stacks {class: [images]} into [classes, instances, ...], sorted."""
  if not per_class:
    raise DatasetError(f'{where}: no classes found.')
  counts = {name: len(images) for name, images in per_class.items()}
  empty = [name for name, count in counts.items() if not count]
  if empty:
    raise DatasetError(f'{where}: class {empty[0]} has no images.')
  # Real datasets have equal class sizes (600 MiniImagenet, 20 Omniglot);
  # keep the first `fewest` of each otherwise.
  fewest = min(counts.values())
  return np.stack([np.stack(per_class[name][:fewest])
                   for name in sorted(per_class)])


def _require_dir(path: str, what: str) -> None:
  if not os.path.isdir(path):
    raise DatasetError(f'{path}: not a directory ({what}).')


def load_omniglot(data_dir: str, image_size: int = 28) -> FewShotDataset:
  """Loads Omniglot from its release layout.

  `data_dir` holds `images_background/` and `images_evaluation/`, each
  `<alphabet>/character<NN>/*.png`; every character is a class. Meta-train
  is the 30 background alphabets (964 characters); the 20 evaluation
  alphabets are split by alphabet, in sorted order, into meta-validation
  (first half) and meta-test (second half). Images are resized to
  `image_size` and inverted, so strokes are bright on black.

  Args:
    data_dir: the Omniglot root directory.
    image_size: side of the square images returned.

  Returns:
    The dataset.

  Raises:
    DatasetError: naming the path that is missing or malformed.
  """
  _require_dir(data_dir, 'Omniglot root')

  def read(part: str, alphabets: Sequence[str]) -> np.ndarray:
    root = os.path.join(data_dir, part)
    per_class = {}
    for alphabet in alphabets:
      for character in sorted(os.listdir(os.path.join(root, alphabet))):
        folder = os.path.join(root, alphabet, character)
        if not os.path.isdir(folder):
          continue
        files = sorted(f for f in os.listdir(folder) if f.endswith('.png'))
        per_class[f'{alphabet}/{character}'] = [
            255 - _read_image(os.path.join(folder, f), image_size, 'L')
            for f in files]
    return _class_major(per_class, root)

  def alphabets(part: str) -> List[str]:
    root = os.path.join(data_dir, part)
    _require_dir(root, 'Omniglot alphabets, <alphabet>/character<NN>/*.png')
    found = sorted(a for a in os.listdir(root)
                   if os.path.isdir(os.path.join(root, a)))
    if not found:
      raise DatasetError(f'{root}: no alphabet folders.')
    return found

  background = alphabets('images_background')
  evaluation = alphabets('images_evaluation')
  if len(evaluation) < 2:
    raise DatasetError(f'{os.path.join(data_dir, "images_evaluation")}: '
                       'needs at least 2 alphabets (meta-val and meta-test).')
  half = len(evaluation) // 2
  return FewShotDataset(
      train=read('images_background', background),
      val=read('images_evaluation', evaluation[:half]),
      test=read('images_evaluation', evaluation[half:]),
      name=f'omniglot {image_size}x{image_size}')


def _miniimagenet_csv(data_dir: str, image_size: int) -> FewShotDataset:
  """Ravi & Larochelle layout: {train,val,test}.csv + images/."""
  splits = []
  for split in SPLITS:
    path = os.path.join(data_dir, f'{split}.csv')
    if not os.path.isfile(path):
      raise DatasetError(f'{path}: missing (MiniImagenet csv layout).')
    per_class = {}
    with open(path, newline='') as f:
      rows = list(csv.reader(f))
    if not rows or [c.strip() for c in rows[0]] != ['filename', 'label']:
      raise DatasetError(f'{path}: first line must be "filename,label".')
    for line, row in enumerate(rows[1:], start=2):
      if len(row) != 2:
        raise DatasetError(f'{path}:{line}: expected "filename,label".')
      filename, label = row
      image = os.path.join(data_dir, 'images', filename)
      if not os.path.isfile(image):
        raise DatasetError(f'{image}: missing (listed in {path}:{line}).')
      per_class.setdefault(label, []).append(
          _read_image(image, image_size, 'RGB'))
    splits.append(_class_major(per_class, path))
  return FewShotDataset(*splits, name=f'miniimagenet {image_size}x'
                        f'{image_size} (csv)')


def _miniimagenet_pickle(data_dir: str, image_size: int) -> FewShotDataset:
  """Pickle cache layout: mini-imagenet-cache-{train,val,test}.pkl."""
  splits = []
  for split in SPLITS:
    names = ['train'] if split == 'train' else (
        ['val', 'validation'] if split == 'val' else ['test'])
    paths = [os.path.join(data_dir, f'mini-imagenet-cache-{n}.pkl')
             for n in names]
    path = next((p for p in paths if os.path.isfile(p)), None)
    if path is None:
      raise DatasetError(f'{paths[0]}: missing (MiniImagenet pickle layout).')
    try:
      with open(path, 'rb') as f:
        cache = pickle.load(f)
      images = np.asarray(cache['image_data'])
      class_dict = cache['class_dict']
      per_class = {name: list(images[np.asarray(indices, np.int64)])
                   for name, indices in class_dict.items()}
    except Exception as e:  # pylint: disable=broad-except
      raise DatasetError(
          f'{path}: not a MiniImagenet cache with "image_data" [N, H, W, 3] '
          f'and "class_dict" {{class: indices}} ({type(e).__name__}: {e}).'
      ) from None
    if images.ndim != 4 or images.shape[-1] != 3:
      raise DatasetError(f'{path}: "image_data" has shape {images.shape}, '
                         'expected [N, H, W, 3].')
    array = _class_major(per_class, path).astype(np.uint8)
    if array.shape[2:4] != (image_size, image_size):
      resize = lambda x: np.asarray(Image.fromarray(x).resize(
          (image_size, image_size), Image.LANCZOS))
      array = np.stack([np.stack([resize(x) for x in c]) for c in array])
    splits.append(array)
  return FewShotDataset(*splits, name=f'miniimagenet {image_size}x'
                        f'{image_size} (pickle)')


def load_miniimagenet(data_dir: str, image_size: int = 84) -> FewShotDataset:
  """Loads MiniImagenet (64 / 16 / 20 classes, Ravi & Larochelle, 2017).

  Two layouts are recognised in `data_dir`:
    * csv: `train.csv`, `val.csv`, `test.csv` with header `filename,label`,
      image files in `images/`;
    * pickle cache: `mini-imagenet-cache-{train,val,test}.pkl` (or
      `...-validation.pkl`), each a dict with `image_data` (uint8
      [N, H, W, 3]) and `class_dict` ({class name: [indices]}).

  Args:
    data_dir: the directory holding either layout.
    image_size: side of the square RGB images returned.

  Returns:
    The dataset.

  Raises:
    DatasetError: naming the path that is missing or malformed.
  """
  _require_dir(data_dir, 'MiniImagenet root')
  if os.path.isfile(os.path.join(data_dir, 'train.csv')):
    return _miniimagenet_csv(data_dir, image_size)
  if os.path.isfile(os.path.join(data_dir, 'mini-imagenet-cache-train.pkl')):
    return _miniimagenet_pickle(data_dir, image_size)
  raise DatasetError(
      f'{data_dir}: neither train.csv (+ images/) nor '
      'mini-imagenet-cache-train.pkl found.')


def make_embedded(num_classes: int = 1000,
                  instances_per_class: int = 20,
                  image_size: int = 28,
                  seed: int = 0) -> FewShotDataset:
  """The embedded glyph dataset (`glyphs.py`), split 64% / 16% / 20%.

  The split fractions follow MiniImagenet's 64 / 16 / 20 classes; classes
  are assigned to splits by a fixed permutation, so splits are disjoint.

  Args:
    num_classes: total classes over the three splits.
    instances_per_class: images per class.
    image_size: side of the square grey-scale images.
    seed: seed of the per-instance distortions.

  Returns:
    The dataset.
  """
  images = glyphs.render_glyphs(
      num_classes, instances_per_class, image_size, seed)
  order = np.random.RandomState(1).permutation(num_classes)
  n_train = int(round(0.64 * num_classes))
  n_val = int(round(0.16 * num_classes))
  return FewShotDataset(
      train=images[order[:n_train]],
      val=images[order[n_train:n_train + n_val]],
      test=images[order[n_train + n_val:]],
      name=f'embedded glyphs {num_classes} classes {image_size}x{image_size}')


def load_dataset(name: str,
                 data_dir: Optional[str] = None,
                 image_size: Optional[int] = None,
                 cache_dir: Optional[str] = None) -> FewShotDataset:
  """Loads `name` in {'embedded', 'miniimagenet', 'omniglot'}.

  Args:
    name: which dataset.
    data_dir: the dataset's root directory (not used for 'embedded').
    image_size: image side; defaults to 28 (embedded, Omniglot) or 84
      (MiniImagenet).
    cache_dir: if given, the arrays are cached there as .npz and reloaded on
      the next call with the same arguments (decoding MiniImagenet's 60 000
      JPEGs takes minutes; rendering the glyphs takes seconds).

  Returns:
    The dataset.

  Raises:
    DatasetError: a path is missing or malformed.
    ValueError: unknown `name`.
  """
  defaults = {'embedded': 28, 'omniglot': 28, 'miniimagenet': 84}
  if name not in defaults:
    raise ValueError(f'dataset={name!r}: expected one of {sorted(defaults)}.')
  image_size = image_size or defaults[name]
  if name != 'embedded' and not data_dir:
    raise DatasetError(f'dataset={name} needs a data directory (--data_dir).')
  cache = None
  if cache_dir:
    source = hashlib.sha1(
        os.path.abspath(data_dir or '').encode()).hexdigest()[:8]
    cache = os.path.join(
        cache_dir, f'fewshot_{name}_{image_size}_{source}.npz')
    if os.path.isfile(cache):
      with np.load(cache) as f:
        return FewShotDataset(f['train'], f['val'], f['test'],
                              str(f['name']))
  if name == 'embedded':
    dataset = make_embedded(image_size=image_size)
  elif name == 'omniglot':
    dataset = load_omniglot(data_dir, image_size)
  else:
    dataset = load_miniimagenet(data_dir, image_size)
  if cache:
    os.makedirs(cache_dir, exist_ok=True)
    partial = cache + '.partial.npz'  # Renamed when complete.
    np.savez(partial, train=dataset.train, val=dataset.val,
             test=dataset.test, name=dataset.name)
    os.replace(partial, cache)
  return dataset
