def test_world_builds(world):
    assert world.grid_a.path.startswith(world.village_a.path)
