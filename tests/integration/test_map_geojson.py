"""A whole level of the map is built once per map version and revalidated by ETag."""

from __future__ import annotations

from civicgrid.services import accounts
from civicgrid.services.grids import import_areas
from conftest import Civic
from support import tiny_map


def test_a_level_is_served_with_an_etag_that_changes_when_the_map_does(civic: Civic) -> None:
    first = civic.client.get("/api/v1/areas/geojson", params={"level": "microgrid"})
    assert first.status_code == 200 and len(first.json()["features"]) == 8
    etag = first.headers["etag"]
    again = civic.client.get("/api/v1/areas/geojson", params={"level": "microgrid"})
    assert again.content == first.content and again.headers["etag"] == etag
    unchanged = civic.client.get(
        "/api/v1/areas/geojson", params={"level": "microgrid"}, headers={"if-none-match": etag}
    )
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert civic.client.get("/api/v1/areas/geojson", params={"level": "grid"}).headers["etag"] != etag
    import_areas(uow=civic.app.uow, areas=tiny_map(), actor=accounts.command_line_actor(), now=civic.clock())
    after = civic.client.get(
        "/api/v1/areas/geojson", params={"level": "microgrid"}, headers={"if-none-match": etag}
    )
    assert after.status_code == 200 and after.headers["etag"] != etag
