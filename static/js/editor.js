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

  // Write / Preview: the text as readers will see it, rendered by the server with the same
  // renderer as saving, in place of the text box. (The Preview button still opens the
  // whole page in a new tab, as it does without this script.)
  var editorForm = document.querySelector("form.form[data-preview]");
  if (body && editorForm && window.fetch) {
    var switcher = document.createElement("div");
    switcher.className = "editor-tabs";
    switcher.setAttribute("role", "group");
    switcher.setAttribute("aria-label", "Show the text as");
    var pane = document.createElement("div");
    pane.className = "editor-preview content";
    pane.id = "text-preview";
    pane.hidden = true;
    pane.tabIndex = -1;
    pane.setAttribute("aria-live", "polite");
    pane.setAttribute("aria-label", "Preview of the text");
    var tab = function (label, pressed) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "editor-tabs__tab";
      button.textContent = label;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      switcher.appendChild(button);
      return button;
    };
    var writeTab = tab("Write", true);
    var previewTab = tab("Preview", false);
    body.insertAdjacentElement("beforebegin", switcher);
    body.insertAdjacentElement("afterend", pane);
    var showing = function (preview) {
      writeTab.setAttribute("aria-pressed", preview ? "false" : "true");
      previewTab.setAttribute("aria-pressed", preview ? "true" : "false");
      body.hidden = preview;
      pane.hidden = !preview;
    };
    writeTab.addEventListener("click", function () {
      showing(false);
      body.focus();
    });
    previewTab.addEventListener("click", function () {
      var data = new URLSearchParams();
      data.append("csrf_token", editorForm.querySelector("input[name=csrf_token]").value);
      data.append("markdown", body.value);
      pane.textContent = "Rendering…";
      pane.style.minHeight = body.offsetHeight + "px";
      showing(true);
      fetch(editorForm.dataset.preview, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().catch(function () {
          return { error: "The preview could not be made (the server answered " + (response.status || "with a redirect: sign in again") + ")." };
        });
      }).then(function (answer) {
        if (answer.error) {
          pane.textContent = answer.error;
        } else if (!body.value.trim()) {
          pane.textContent = "Nothing to preview yet.";
        } else {
          // Sanitised by the server, as the published page is.
          pane.innerHTML = answer.html;
        }
      }).catch(function () {
        pane.textContent = "The preview could not be made: the server cannot be reached.";
      });
    });
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
    (document.getElementById("text-preview") || body).insertAdjacentElement("afterend", status);
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
    // Markdown for an image, made a paragraph of its own where the cursor is.
    var asParagraph = function (markdown) {
      var before = body.value.slice(0, body.selectionStart);
      var after = body.value.slice(body.selectionEnd);
      var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
      var tail = after === "" || /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
      return lead + markdown + tail;
    };
    var placeholder = "Describe the image";
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
        insert(asParagraph("![" + placeholder + "](" + answer.url + ")"), placeholder);
        status.textContent = "Image added: describe it in place of the selected words.";
      }).catch(function () {
        status.textContent = "The upload failed; check the connection and try again.";
      });
      return true;
    };
    // The library's images go in where the cursor is, as a paragraph of their own.
    Array.prototype.forEach.call(document.querySelectorAll("[data-insert]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var markdown = button.dataset.insert;
        var alt = markdown.slice(2, markdown.indexOf("]("));
        insert(asParagraph(markdown), alt === placeholder ? alt : null);
        status.textContent = "Image inserted.";
      });
    });
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
  // Autosave: three seconds after typing stops (and at least every thirty while it goes on)
  // the form goes to the server as a working copy; a new post's first autosave creates its
  // draft. Text the server has is not "unsaved" for the warning: the editor brings it back.
  var form = document.querySelector("form.form");
  var indicator = document.getElementById("autosave-status");
  if (form) {
    var dirty = false;
    var submitted = false;
    var autosave = indicator && window.fetch && window.URLSearchParams ? indicator.dataset.autosave : null;
    var timer = null, firstChange = null, inFlight = false, failed = false, stopped = false, lastSaved = 0;
    var show = function (text) {
      indicator.textContent = text;
    };
    var ago = function () {
      var seconds = Math.round((Date.now() - lastSaved) / 1000);
      show(seconds < 5 ? "Autosaved just now" : seconds < 60 ? "Autosaved " + seconds + " s ago" : "Autosaved " + Math.floor(seconds / 60) + " min ago");
    };
    var fail = function (text, stop) {
      failed = true;
      stopped = stopped || !!stop;
      indicator.classList.add("editor-actions__autosave--failed");
      show(text);
    };
    var signedOut = "Not autosaved: you are signed out. Sign in again in another tab, then keep writing; your text stays here.";
    // A save pressed while an autosave is on its way waits for it: the form may be about
    // to edit the new draft rather than make another.
    var waiting = null;
    var settle = function () {
      if (waiting) {
        var submitter = waiting;
        waiting = null;
        form.requestSubmit ? form.requestSubmit(submitter) : submitter.click();
      }
    };
    var send = function () {
      timer = null;
      if (inFlight || !dirty || stopped || submitted) return;
      var data = new URLSearchParams(new FormData(form));
      data.delete("action");
      inFlight = true;
      dirty = false;
      firstChange = null;
      show("Autosaving…");
      fetch(autosave, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) return { error: signedOut };
        return response.json().catch(function () {
          return { error: response.status === 403 ? signedOut : "Not autosaved (the server answered " + response.status + ")." };
        });
      }).then(function (answer) {
        inFlight = false;
        if (answer.error) {
          dirty = true;
          fail(answer.error, answer.conflict);
          settle();
          return;
        }
        failed = false;
        indicator.classList.remove("editor-actions__autosave--failed");
        if (answer.edit_url) {
          // The new post's draft exists now: this form edits it from here on.
          autosave = answer.autosave_url;
          form.action = answer.edit_url;
          Array.prototype.forEach.call(form.querySelectorAll("[formaction]"), function (button) {
            button.setAttribute("formaction", button.getAttribute("formaction").replace("/admin/posts/new/", answer.edit_url + "/"));
          });
          form.querySelector("input[name=version]").value = answer.version;
          history.replaceState(null, "", answer.edit_url);
        }
        lastSaved = Date.now();
        ago();
        if (waiting) settle();
        else if (dirty) schedule();
      }).catch(function () {
        inFlight = false;
        dirty = true;
        fail("Not autosaved: the server cannot be reached. Your text stays here.");
        settle();
      });
    };
    var schedule = function () {
      if (!autosave || stopped) return;
      if (!firstChange) firstChange = Date.now();
      clearTimeout(timer);
      timer = setTimeout(send, Math.max(0, Math.min(3000, 30000 - (Date.now() - firstChange))));
    };
    if (autosave) {
      setInterval(function () {
        if (lastSaved && !dirty && !inFlight && !failed) ago();
      }, 5000);
    }
    form.addEventListener("input", function () {
      dirty = true;
      schedule();
    });
    form.addEventListener("submit", function (event) {
      if (inFlight && event.submitter) {
        event.preventDefault();
        waiting = event.submitter;
        return;
      }
      // A preview opens in another tab; the text here is still unsaved.
      if (!event.submitter || event.submitter.value !== "preview") {
        dirty = false;
        submitted = true;
        clearTimeout(timer);
      }
    });
    window.addEventListener("beforeunload", function (event) {
      if (!submitted && (dirty || inFlight)) {
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
