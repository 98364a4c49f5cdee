/* The sign-in page's image challenge: "换一张" loads a new image (each request to the image's
   address issues a new challenge, so the address gets a counter to get past any cache). */
(function () {
  const image = document.querySelector("img[data-challenge-src]");
  const button = document.querySelector("[data-challenge-refresh]");
  if (!image || !button) return;
  let n = 0;
  button.addEventListener("click", function () {
    n += 1;
    image.src = image.dataset.challengeSrc + "?n=" + n + "-" + Date.now();
    const answer = document.getElementById("id_challenge");
    if (answer) {
      answer.value = "";
      answer.focus();
    }
  });
})();
