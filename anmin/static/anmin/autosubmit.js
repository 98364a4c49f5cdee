/* A filter whose <select data-autosubmit> sends its form as soon as it changes (a page may carry no
   inline onchange= under the Content Security Policy). */
document.addEventListener("change", (ev) => {
  const field = ev.target.closest("select[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
