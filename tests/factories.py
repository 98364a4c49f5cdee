"""factory_boy factories for the test city (STYLE: factories, not big JSON fixtures)."""

import factory
import h3
from django.conf import settings

from anmin.dispatch.models import Unit, UnitKind
from anmin.geo.models import AreaType, GridCell
from anmin.org.models import Officer, Organization, Role

TEST_PASSWORD = "pw-for-tests-1"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    code = factory.Sequence(lambda n: f"131102{n:06d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = Organization.Kind.STATION
    division_code = "131102"


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"officer{n}")
    badge_number = factory.Sequence(lambda n: f"{100000 + n:06d}")
    full_name = factory.Sequence(lambda n: f"民警{n}")
    role = Role.STATION
    password = factory.django.Password(TEST_PASSWORD)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        skip_postgeneration_save = True

    callsign = factory.Sequence(lambda n: f"测试{n:03d}")
    kind = UnitKind.PATROL_CAR
    lat = 37.735
    lon = 115.675

    @factory.post_generation
    def crew(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


def make_cells(lat: float, lon: float, radius: int, station: Organization, area: str = AreaType.URBAN) -> list[str]:
    centre = h3.latlng_to_cell(lat, lon, settings.GRID_RESOLUTION)
    cells = sorted(h3.grid_disk(centre, radius))
    GridCell.objects.bulk_create(
        [
            GridCell(
                h3=c,
                jurisdiction=station,
                area_type=area,
                lat=h3.cell_to_latlng(c)[0],
                lon=h3.cell_to_latlng(c)[1],
            )
            for c in cells
        ]
    )
    return cells
