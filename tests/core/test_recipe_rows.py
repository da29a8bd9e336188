"""A bank made under a model-wide recipe (a text-to-image prompt) shows it in every point's rows."""

import numpy as np

from explorer.core.latent_bank import LatentBank
from explorer.core.preview import point_preview

RECIPE = {"prompt": "a man", "negative_prompt": "", "guidance": 7.5, "steps": 4, "embedding": None}


def _bank(recipe=None) -> LatentBank:
    return LatentBank(np.ones((3, 4), np.float32), (4,), "prior samples, seed 0", np.zeros(3, np.int64),
                      np.arange(3), recipe=dict(recipe or {}))


def test_a_points_rows_hold_the_recipe_and_leave_out_what_is_unset():
    rows = dict(point_preview(_bank(RECIPE), 1).rows)
    assert (rows["prompt"], rows["negative prompt"], rows["guidance"], rows["steps"]) == ("a man", "—", "7.5", "4")
    assert "embedding" not in rows and rows["seed"] == "0" and rows["index"] == "1"
    assert "prompt" not in dict(point_preview(_bank(), 1).rows)


def test_the_recipe_survives_joining_and_extending_the_bank():
    bank = _bank(RECIPE)
    assert bank.joined(_bank()).recipe == RECIPE
    assert bank.extended(np.zeros((1, 4), np.float32), None, ["x.png"], np.zeros(1)).recipe == RECIPE


def test_exported_items_carry_the_model_recipe_beside_their_own():
    from explorer.core.export_bank import with_model_recipe
    from explorer.core.export_folder import ExportItem

    items = [ExportItem(np.zeros(4), "images", seed=3, index=7),
             ExportItem(np.zeros(4), "images", recipe={"kind": "expression", "steps": 9})]
    prior, edited = with_model_recipe(items, RECIPE)
    assert prior.recipe == {"kind": "prior", "seed": 3, "index": 7, **RECIPE}
    assert edited.recipe["kind"] == "expression" and edited.recipe["steps"] == 9 and edited.recipe["prompt"] == "a man"
    assert items[0].recipe is None  # the items given are left as they were
