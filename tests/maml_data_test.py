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

"""Tests of the few-shot task sampler and dataset loaders on fixtures."""

import os
import pickle

import jax
import numpy as np
from PIL import Image
import pytest

from bmg_agents.maml_bmg import data


def _coded_images(classes=10, instances=8, size=4):
  """Images whose pixels encode (class, instance), to identify samples."""
  images = np.zeros((classes, instances, size, size, 1), np.uint8)
  for c in range(classes):
    for i in range(instances):
      images[c, i, 0, 0, 0] = c
      images[c, i, 0, 1, 0] = i
  return images


def test_sampler_shapes_distinct_and_reproducible():
  images = _coded_images()
  ways, shots, queries = 5, 2, 3
  sample = jax.jit(data.sample_tasks, static_argnums=(2, 3, 4, 5))
  tasks = sample(jax.random.PRNGKey(0), images, 16, ways, shots, queries)
  assert tasks.support_images.shape == (16, ways * shots, 4, 4, 1)
  assert tasks.query_images.shape == (16, ways * queries, 4, 4, 1)
  assert tasks.support_labels.shape == (16, ways * shots)
  assert tasks.query_labels.shape == (16, ways * queries)
  codes = lambda x: np.round(np.asarray(x[..., 0, :2, 0]) * 255).astype(int)
  for t in range(16):
    support, query = codes(tasks.support_images[t]), codes(
        tasks.query_images[t])
    s_labels, q_labels = (np.asarray(tasks.support_labels[t]),
                          np.asarray(tasks.query_labels[t]))
    # N distinct classes, one per label, shared by support and query.
    label_to_class = {}
    for (c, _), y in list(zip(support, s_labels)) + list(zip(query, q_labels)):
      assert label_to_class.setdefault(y, c) == c
    assert sorted(label_to_class) == list(range(ways))
    assert len(set(label_to_class.values())) == ways
    # Support and query use distinct instances.
    pairs = [tuple(p) for p in np.concatenate([support, query])]
    assert len(set(pairs)) == ways * (shots + queries)
  again = sample(jax.random.PRNGKey(0), images, 16, ways, shots, queries)
  other = sample(jax.random.PRNGKey(1), images, 16, ways, shots, queries)
  np.testing.assert_array_equal(again.query_images, tasks.query_images)
  assert not np.array_equal(other.query_images, tasks.query_images)


def test_embedded_splits_are_disjoint_and_deterministic():
  dataset = data.make_embedded(num_classes=25, instances_per_class=3,
                               image_size=12)
  assert dataset.train.shape == (16, 3, 12, 12, 1)
  assert dataset.val.shape == (4, 3, 12, 12, 1)
  assert dataset.test.shape == (5, 3, 12, 12, 1)
  assert dataset.train.dtype == np.uint8 and dataset.train.max() > 200
  classes = np.concatenate([dataset.train, dataset.val, dataset.test])
  flat = classes.reshape(25, -1)
  assert len({row.tobytes() for row in flat}) == 25
  # Instances of a class differ (per-instance variation).
  assert not np.array_equal(classes[0, 0], classes[0, 1])
  again = data.make_embedded(num_classes=25, instances_per_class=3,
                             image_size=12)
  np.testing.assert_array_equal(again.test, dataset.test)


def _png(path, size=(10, 10), value=0):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  array = np.full(size, 255, np.uint8)
  array[2:5, 2:5] = value
  Image.fromarray(array).save(path)


def test_omniglot_layout(tmp_path):
  root = str(tmp_path)
  layout = {'images_background': {'Alpha': 2, 'Beta': 1},
            'images_evaluation': {'Gamma': 1, 'Delta': 2}}
  for part, alphabets in layout.items():
    for alphabet, characters in alphabets.items():
      for c in range(characters):
        for i in range(3):
          _png(os.path.join(root, part, alphabet, f'character{c + 1:02d}',
                            f'{c}_{i}.png'))
  dataset = data.load_omniglot(root, image_size=8)
  assert dataset.train.shape == (3, 3, 8, 8, 1)
  # Evaluation alphabets sorted: Delta (2 characters) -> val, Gamma -> test.
  assert dataset.val.shape == (2, 3, 8, 8, 1)
  assert dataset.test.shape == (1, 3, 8, 8, 1)
  # Inverted: the dark stroke is bright, the white page is black.
  assert dataset.train[0, 0, 0, 0, 0] == 0
  assert dataset.train[0, 0, 3, 3, 0] > 128


def test_omniglot_missing_path_is_one_line_error(tmp_path):
  with pytest.raises(data.DatasetError) as error:
    data.load_omniglot(str(tmp_path))
  message = str(error.value)
  assert os.path.join(str(tmp_path), 'images_background') in message
  assert '\n' not in message


def _write_csv_layout(root, rows_per_split):
  os.makedirs(os.path.join(root, 'images'))
  for split, classes in rows_per_split.items():
    lines = ['filename,label']
    for c in range(classes):
      for i in range(2):
        name = f'{split}{c}_{i}.jpg'
        Image.fromarray(np.full((12, 12, 3), 40 * c, np.uint8)).save(
            os.path.join(root, 'images', name))
        lines.append(f'{name},n0{split}{c}')
    with open(os.path.join(root, f'{split}.csv'), 'w') as f:
      f.write('\n'.join(lines) + '\n')


def test_miniimagenet_csv_layout(tmp_path):
  root = str(tmp_path)
  _write_csv_layout(root, {'train': 3, 'val': 2, 'test': 2})
  dataset = data.load_miniimagenet(root, image_size=6)
  assert dataset.train.shape == (3, 2, 6, 6, 3)
  assert dataset.val.shape == (2, 2, 6, 6, 3)
  assert dataset.test.shape == (2, 2, 6, 6, 3)
  # Classes sorted by label, JPEG-decoded colours close to what was written.
  assert abs(int(dataset.train[2, 0, 3, 3, 0]) - 80) < 8


def test_miniimagenet_csv_errors_name_the_path(tmp_path):
  root = str(tmp_path)
  _write_csv_layout(root, {'train': 2, 'val': 2, 'test': 2})
  os.remove(os.path.join(root, 'images', 'val1_0.jpg'))
  with pytest.raises(data.DatasetError, match='val1_0.jpg'):
    data.load_miniimagenet(root)
  with open(os.path.join(root, 'train.csv'), 'w') as f:
    f.write('file,class\nx.jpg,a\n')
  with pytest.raises(data.DatasetError) as error:
    data.load_miniimagenet(root)
  assert os.path.join(root, 'train.csv') in str(error.value)
  with pytest.raises(data.DatasetError, match='neither'):
    data.load_miniimagenet(str(tmp_path / 'images'))


@pytest.mark.parametrize('val_name', ['val', 'validation'])
def test_miniimagenet_pickle_layout(tmp_path, val_name):
  root = str(tmp_path)
  for split, classes in (('train', 3), (val_name, 2), ('test', 2)):
    images = np.arange(classes * 4 * 5 * 5 * 3, dtype=np.int64)
    images = (images % 251).astype(np.uint8).reshape(classes * 4, 5, 5, 3)
    class_dict = {f'n{c}': list(range(c * 4, c * 4 + 4))
                  for c in range(classes)}
    with open(os.path.join(root, f'mini-imagenet-cache-{split}.pkl'),
              'wb') as f:
      pickle.dump({'image_data': images, 'class_dict': class_dict}, f)
  dataset = data.load_miniimagenet(root, image_size=5)
  assert dataset.train.shape == (3, 4, 5, 5, 3)
  assert dataset.val.shape == (2, 4, 5, 5, 3)
  np.testing.assert_array_equal(dataset.train[1, 0], images[4])
  with open(os.path.join(root, 'mini-imagenet-cache-test.pkl'), 'wb') as f:
    pickle.dump({'images': images}, f)
  with pytest.raises(data.DatasetError) as error:
    data.load_miniimagenet(root, image_size=5)
  assert 'mini-imagenet-cache-test.pkl' in str(error.value)
  assert '\n' not in str(error.value)


def test_load_dataset_caches(tmp_path):
  root = str(tmp_path / 'omni')
  for part in ('images_background', 'images_evaluation'):
    for alphabet in ('A', 'B'):
      for i in range(2):
        _png(os.path.join(root, part, alphabet, 'character01', f'{i}.png'))
  first = data.load_dataset('omniglot', root, 8, cache_dir=str(tmp_path))
  cached = [f for f in os.listdir(tmp_path) if f.endswith('.npz')]
  assert len(cached) == 1
  again = data.load_dataset('omniglot', root, 8, cache_dir=str(tmp_path))
  np.testing.assert_array_equal(first.train, again.train)
  with pytest.raises(data.DatasetError, match='--data_dir'):
    data.load_dataset('omniglot')
