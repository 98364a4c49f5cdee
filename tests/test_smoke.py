import pytest

from anmin.incidents.actions import ReceiveCall


def test_it_receives_a_call_into_the_right_station(city, call_data):
    incident, created = ReceiveCall(by=city.dispatcher, data=call_data).execute()
    assert created
    assert incident.station == city.station_a1
    assert incident.number.startswith("131100-")
    assert incident.target_minutes == 5


@pytest.mark.django_db
def test_categories_are_loaded(client):
    from anmin.incidents.models import Category

    assert Category.objects.filter(serious_violence=True).count() == 8
