// 走访登记: fills the hidden position fields from the phone's location, when the officer allows it.
(function () {
  const form = document.getElementById("visit-form");
  if (!form || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (pos) {
    form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(6);
    form.querySelector("[name=lon]").value = pos.coords.longitude.toFixed(6);
  }, function () {}, { timeout: 5000, maximumAge: 60000 });
})();
