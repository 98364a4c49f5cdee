from django.urls import path

from anmin.bookings import views

app_name = "bookings"

urlpatterns = [
    path("portal/bookings/", views.my_bookings, name="mine"),
    path("portal/bookings/offices/", views.offices, name="offices"),
    path("portal/bookings/offices/<int:pk>/", views.office, name="office"),
    path("portal/bookings/appointments/<int:pk>/cancel/", views.cancel_appointment, name="cancel"),
    path("portal/bookings/exams/", views.exams, name="exams"),
    path("portal/bookings/exams/<int:pk>/cancel/", views.cancel_exam, name="exam-cancel"),
    path("bookings/", views.staff_offices, name="staff"),
    path("bookings/offices/<int:pk>/", views.staff_office, name="staff-office"),
    path("bookings/appointments/<int:pk>/mark/", views.staff_mark, name="mark"),
    path("bookings/exams/", views.staff_exams, name="staff-exams"),
    path("bookings/exams/applicants/", views.staff_applicant, name="staff-applicant"),
    path("bookings/exams/<int:pk>/", views.staff_session, name="staff-session"),
    path("bookings/exams/<int:pk>/allocate/", views.staff_allocate, name="staff-allocate"),
    path("bookings/exams/<int:pk>/results/", views.staff_results, name="staff-results"),
]
