import numpy as np
import pytest
from PIL import Image

from models.data import load_dataset, load_image_folder
from models.errors import DatasetError


def test_digits_are_32px_grey_with_ten_labels():
    ds = load_dataset("digits")
    assert ds.images.shape == (1797, 32, 32, 1) and ds.images.dtype == np.uint8
    assert ds.label_names == tuple(str(i) for i in range(10))
    assert set(np.unique(ds.labels)) == set(range(10))
    assert ds.images.max() > 200  # real strokes survived the up-sampling


def test_image_folder_labels_come_from_subfolders(tmp_path):
    for label, colour in (("cats", (255, 0, 0)), ("dogs", (0, 0, 255))):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.new("RGB", (40, 30), colour).save(tmp_path / label / f"{i}.png")
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    ds = load_image_folder(tmp_path, size=16)
    assert ds.images.shape == (6, 16, 16, 3)
    assert ds.label_names == ("cats", "dogs")
    assert list(ds.labels) == [0, 0, 0, 1, 1, 1]
    assert tuple(ds.images[0, 0, 0]) == (255, 0, 0)


def test_folder_errors_name_the_folder(tmp_path):
    with pytest.raises(DatasetError, match="no images"):
        load_image_folder(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match="broken.png"):
        load_image_folder(tmp_path)
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset(str(tmp_path / "missing"))
