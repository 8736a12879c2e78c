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

"""Embedded few-shot dataset: glyphs rendered from matplotlib's own fonts.

An Omniglot-like stand-in that needs no download. Each class is one Unicode
character drawn by the DejaVu fonts that ship with matplotlib; each instance
renders it in a random face of the DejaVu family (sans / serif / mono, bold,
oblique) under a random affine distortion (rotation, shear, anisotropic
scale, shift) and stroke width, so that instances of one class differ the way
hand-drawn Omniglot characters do. Characters whose normalised renderings
look alike (e.g. Latin 'A' and Cyrillic 'А') are merged greedily, so every
class is visually distinct. Generation is deterministic in its arguments
(about 0.2 ms per image) and needs only Pillow and matplotlib.

Hand-written because no library offers a download-free few-shot dataset:
the real ones (Omniglot, MiniImagenet) need files from the web, which tests
and the demo must not depend on.
"""

import functools
import os
import unicodedata

import matplotlib
from matplotlib import ft2font
import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFilter
from PIL import ImageFont

# The faces an instance may be drawn in; the first one defines the classes.
_FACES = (
    'DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf',
    'DejaVuSans-BoldOblique.ttf', 'DejaVuSerif.ttf', 'DejaVuSerif-Bold.ttf',
    'DejaVuSerif-Italic.ttf', 'DejaVuSerif-BoldItalic.ttf',
    'DejaVuSansMono.ttf', 'DejaVuSansMono-Bold.ttf')
# Letters and symbols; marks, digits and punctuation are too small or few.
_CATEGORIES = ('Lu', 'Ll', 'Lo', 'So', 'Sm')
_RENDER_SIZE = 64  # Canvas (pixels) glyphs are drawn on before resizing.
_FONT_SIZE = 44
_DEDUP_SIZE = 16  # Side of the normalised thumbnails compared for merging.
_MAX_COSINE = 0.9  # Thumbnails more similar than this are one class.
_MIN_INK = 0.04  # Glyphs covering less of their box are dropped (dots).


def _font_path(face: str) -> str:
  return os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf', face)


def _draw(char: str, font: ImageFont.FreeTypeFont) -> Image.Image:
  """Draws `char` centred on a square canvas, white on black."""
  image = Image.new('L', (_RENDER_SIZE, _RENDER_SIZE))
  centre = _RENDER_SIZE // 2
  ImageDraw.Draw(image).text(
      (centre, centre), char, font=font, fill=255, anchor='mm')
  return image


def _tight(image: Image.Image) -> Image.Image:
  """Crops to the ink's bounding box, padded to a square."""
  box = image.getbbox()
  crop = image.crop(box)
  side = max(crop.size)
  square = Image.new('L', (side, side))
  square.paste(crop, ((side - crop.size[0]) // 2, (side - crop.size[1]) // 2))
  return square


@functools.lru_cache(maxsize=4)
def _candidates(max_classes: int) -> tuple:
  """Distinct, well-inked characters of DejaVu Sans, in a fixed order."""
  path = _font_path(_FACES[0])
  codes = sorted(ft2font.FT2Font(path).get_charmap())
  font = ImageFont.truetype(path, _FONT_SIZE)
  chars = []
  thumbs = np.zeros((len(codes), _DEDUP_SIZE ** 2), np.float32)
  for code in codes:
    char = chr(code)
    if unicodedata.category(char) not in _CATEGORIES:
      continue
    image = _draw(char, font)
    if image.getbbox() is None:
      continue
    tight = _tight(image)
    ink = np.asarray(tight, np.float32) / 255.
    if ink.mean() < _MIN_INK or tight.size[0] < 8:
      continue
    thumb = np.asarray(
        tight.resize((_DEDUP_SIZE, _DEDUP_SIZE), Image.BILINEAR), np.float32)
    thumb = thumb.ravel() - thumb.mean()
    thumb /= np.linalg.norm(thumb) + 1e-6
    if chars and np.max(thumbs[:len(chars)] @ thumb) > _MAX_COSINE:
      continue
    thumbs[len(chars)] = thumb
    chars.append(char)
  # Spread the chosen classes over all scripts rather than the first blocks.
  order = np.random.RandomState(0).permutation(len(chars))
  return tuple(chars[i] for i in order[:max_classes])


def _affine(rng: np.random.RandomState, side: int, size: int):
  """Inverse affine map (PIL's convention) from output to glyph pixels."""
  angle = np.deg2rad(rng.uniform(-15., 15.))
  shear = rng.uniform(-0.25, 0.25)
  scale = rng.uniform(0.6, 0.85) * size / side * rng.uniform(0.85, 1.15, 2)
  shift = rng.uniform(-0.08, 0.08, 2) * size
  rotation = np.array([[np.cos(angle), -np.sin(angle)],
                       [np.sin(angle), np.cos(angle)]])
  forward = rotation @ np.array([[1., shear], [0., 1.]]) @ np.diag(scale)
  inverse = np.linalg.inv(forward)
  # out = forward @ (in - c_in) + c_out + shift  =>  in = inverse @ (...).
  offset = np.array([side, side]) / 2. - inverse @ (
      np.array([size, size]) / 2. + shift)
  return (inverse[0, 0], inverse[0, 1], offset[0],
          inverse[1, 0], inverse[1, 1], offset[1])


def render_glyphs(num_classes: int = 1000,
                  instances_per_class: int = 20,
                  image_size: int = 28,
                  seed: int = 0) -> np.ndarray:
  """Renders the embedded glyph dataset.

  Args:
    num_classes: how many distinct characters (classes); at most the number
      of distinct well-inked glyphs DejaVu Sans has (more than 1500).
    instances_per_class: distorted renderings per character.
    image_size: side of the square output images.
    seed: seed of the per-instance distortions.

  Returns:
    uint8 array [num_classes, instances_per_class, image_size, image_size, 1],
    white glyphs on black.

  Raises:
    ValueError: if more classes are asked for than there are distinct glyphs.
  """
  chars = _candidates(num_classes)
  if len(chars) < num_classes:
    raise ValueError(
        f'num_classes={num_classes}: the embedded dataset has only '
        f'{len(chars)} distinct glyphs.')
  fonts, charmaps = [], []
  for face in _FACES:
    fonts.append(ImageFont.truetype(_font_path(face), _FONT_SIZE))
    charmaps.append(set(ft2font.FT2Font(_font_path(face)).get_charmap()))
  out = np.zeros(
      (num_classes, instances_per_class, image_size, image_size, 1), np.uint8)
  for c, char in enumerate(chars):
    rng = np.random.RandomState([seed, c])
    faces = [i for i, cmap in enumerate(charmaps) if ord(char) in cmap]
    for i in range(instances_per_class):
      image = _draw(char, fonts[faces[rng.randint(len(faces))]])
      if image.getbbox() is None:  # Face lacks a drawable glyph: use Sans.
        image = _draw(char, fonts[0])
      stroke = rng.randint(3)
      if stroke == 1:
        image = image.filter(ImageFilter.MaxFilter(3))
      elif stroke == 2:
        thinner = image.filter(ImageFilter.MinFilter(3))
        image = thinner if thinner.getbbox() else image
      glyph = _tight(image)
      big = 2 * image_size  # Draw at twice the size, then anti-alias down.
      image = glyph.transform((big, big), Image.AFFINE,
                              _affine(rng, glyph.size[0], big),
                              resample=Image.BILINEAR)
      image = image.resize((image_size, image_size), Image.BOX)
      out[c, i, :, :, 0] = np.asarray(image)
  return out
