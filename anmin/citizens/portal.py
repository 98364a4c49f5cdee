"""The portal's home tiles. Each citizen-facing app registers its own in AppConfig.ready(), so the
home page needs no edit when an app is added."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tile:
    title: str
    subtitle: str
    url_name: str
    order: int = 50
    #: a symbol of anmin/static/anmin/portal-icons.svg (drawn there: intranet PCs have no emoji font)
    icon: str = "file"


TILES: list[Tile] = []


def register(tile: Tile) -> None:
    if all(t.url_name != tile.url_name for t in TILES):
        TILES.append(tile)
        TILES.sort(key=lambda t: t.order)
