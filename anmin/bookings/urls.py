from django.urls import path

from anmin.bookings import views

urlpatterns = [
    path("portal/bookings/", views.my_bookings, name="bookings-mine"),
    path("portal/bookings/offices/", views.offices, name="bookings-offices"),
    path("portal/bookings/offices/<int:pk>/", views.office, name="bookings-office"),
    path("portal/bookings/appointments/<int:pk>/cancel/", views.cancel_appointment, name="bookings-cancel"),
    path("portal/bookings/exams/", views.exams, name="bookings-exams"),
    path("portal/bookings/exams/<int:pk>/cancel/", views.cancel_exam, name="bookings-exam-cancel"),
    path("bookings/", views.staff_offices, name="bookings-staff"),
    path("bookings/offices/<int:pk>/", views.staff_office, name="bookings-staff-office"),
    path("bookings/appointments/<int:pk>/mark/", views.staff_mark, name="bookings-mark"),
    path("bookings/exams/", views.staff_exams, name="bookings-staff-exams"),
    path("bookings/exams/applicants/", views.staff_applicant, name="bookings-staff-applicant"),
    path("bookings/exams/<int:pk>/", views.staff_session, name="bookings-staff-session"),
    path("bookings/exams/<int:pk>/allocate/", views.staff_allocate, name="bookings-staff-allocate"),
    path("bookings/exams/<int:pk>/results/", views.staff_results, name="bookings-staff-results"),
]
