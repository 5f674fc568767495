// Small helpers for the post editor. The form works without them; they only add hints.
(function () {
  "use strict";

  // The slug Quire will make from the title when the slug field is left empty, shown as the
  // field's placeholder while typing (the server makes the same one).
  function slugify(text) {
    return text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 200);
  }

  var title = document.getElementById("f-title");
  var slug = document.getElementById("f-slug");
  if (title && slug) {
    var suggest = function () {
      slug.placeholder = slugify(title.value);
    };
    title.addEventListener("input", suggest);
    suggest();
  }

  // Live character counts against the lengths search engines show (or the field's limit).
  var counted = [
    ["f-title", 255],
    ["f-meta_title", 60],
    ["f-meta_description", 155],
    ["f-custom_excerpt", 500],
  ];
  counted.forEach(function (entry) {
    var field = document.getElementById(entry[0]);
    if (!field) {
      return;
    }
    var shown = entry[1];
    var counter = document.createElement("p");
    counter.className = "field__hint field__count";
    counter.id = entry[0] + "-count";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    var describedBy = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + counter.id);
    var update = function () {
      var length = Array.from(field.value).length;
      counter.textContent = length + " of " + shown + " characters";
      counter.classList.toggle("field__count--over", length > shown);
    };
    field.addEventListener("input", update);
    update();
  });

  // The text grows with what is written, so the page scrolls rather than the box.
  var body = document.getElementById("f-markdown");
  if (body) {
    var grow = function () {
      var top = window.scrollY;
      body.style.height = "auto";
      body.style.height = body.scrollHeight + 2 + "px";
      window.scrollTo(window.scrollX, top);
    };
    body.addEventListener("input", grow);
    grow();
  }

  // Pasting or dropping an image into the text uploads it to the media library and puts
  // its Markdown where the cursor is, with the alt text selected to be typed over.
  var form0 = document.querySelector("form.form[data-upload]");
  if (body && form0) {
    var status = document.createElement("p");
    status.className = "field__hint";
    status.id = "upload-status";
    status.setAttribute("aria-live", "polite");
    status.textContent = "Paste or drop an image into the text to add it.";
    body.insertAdjacentElement("afterend", status);
    var insert = function (text, select) {
      var start = body.selectionStart, end = body.selectionEnd;
      body.setRangeText(text, start, end, "end");
      if (select) {
        var at = start + text.indexOf(select);
        body.setSelectionRange(at, at + select.length);
      }
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    };
    var upload = function (file) {
      if (!file || !/^image\//.test(file.type)) return false;
      var data = new FormData();
      data.append("csrf_token", form0.querySelector("input[name=csrf_token]").value);
      data.append("alt", "");
      data.append("file", file, file.name || "pasted-image");
      status.textContent = "Uploading " + (file.name || "the image") + "…";
      fetch(form0.dataset.upload, {
        method: "POST",
        body: data,
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().catch(function () {
          return { error: "The upload failed (" + response.status + ")." };
        });
      }).then(function (answer) {
        if (answer.error) {
          status.textContent = answer.error;
          return;
        }
        // An image is a paragraph of its own.
        var placeholder = "Describe the image";
        var before = body.value.slice(0, body.selectionStart);
        var after = body.value.slice(body.selectionEnd);
        var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
        var tail = after === "" || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
        insert(lead + "![" + placeholder + "](" + answer.url + ")" + tail, placeholder);
        status.textContent = "Image added: describe it in place of the selected words.";
      }).catch(function () {
        status.textContent = "The upload failed; check the connection and try again.";
      });
      return true;
    };
    body.addEventListener("paste", function (event) {
      var clip = event.clipboardData;
      // Office programs put a picture of copied text beside the text: the text wins.
      if (!clip || clip.getData("text/plain") || clip.getData("text/html")) return;
      if (clip.files && clip.files.length && upload(clip.files[0])) event.preventDefault();
    });
    var carriesFiles = function (event) {
      return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0;
    };
    body.addEventListener("dragover", function (event) {
      if (carriesFiles(event)) event.preventDefault();
    });
    body.addEventListener("drop", function (event) {
      if (!carriesFiles(event)) return;
      // Never let the browser open a dropped file in place of the editor.
      event.preventDefault();
      var files = Array.prototype.filter.call(event.dataTransfer.files, function (file) {
        return /^image\//.test(file.type);
      });
      if (!files.length) {
        status.textContent = "Only images can be added here.";
        return;
      }
      files.forEach(upload);
    });
  }

  // A form that came back with problems: the summary at its top takes the focus, so the
  // first thing read is what is wrong; its links lead to the fields.
  var summary = document.getElementById("form-problem");
  if (summary) {
    summary.focus();
  }

  // Leaving with unsaved changes asks first; Ctrl/Cmd+S saves (as the main button would).
  var form = document.querySelector("form.form");
  if (form) {
    var dirty = false;
    form.addEventListener("input", function () {
      dirty = true;
    });
    form.addEventListener("submit", function (event) {
      // A preview opens in another tab; the text here is still unsaved.
      if (!event.submitter || event.submitter.value !== "preview") {
        dirty = false;
      }
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key || "").toLowerCase() === "s") {
        var save = form.querySelector("[data-save]");
        if (save) {
          event.preventDefault();
          form.requestSubmit ? form.requestSubmit(save) : save.click();
        }
      }
    });
  }
})();
