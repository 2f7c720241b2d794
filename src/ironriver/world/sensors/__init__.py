"""Sensors: how each agency observes the world and writes its native files and mapping.

One module per agency family (`atf`, `cbp`, `hsi`, `mexico`); each exposes `write(world,
paths) -> records`, where `records` maps every record id it wrote to the true person, gun
and vehicle behind it (collected into `truth/records.parquet`).
"""
