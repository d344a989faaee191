"""合力 heli: a platform for grid-based community party-building."""
