/* The resident's pages. The report form works without this file (a plain POST to /report); with it:
   category search (a combobox), the map with "use my location" and the located area, the category's
   questions, photo previews uploaded to /api/v1/photos, open duplicates nearby before sending, and the
   report sent as JSON to /api/v1/cases with an Idempotency-Key (a second tap files nothing new). */
(function () {
  "use strict";
  var cg = window.civicgrid || {};
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var fill = function (text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
  };
  var el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  var lang = function () { return cg.locale === "en" ? "en" : "zh-CN"; };
  var csrf = function () { var m = $('meta[name="csrf-token"]'); return m ? m.getAttribute("content") : ""; };

  /* Shown only with JavaScript / only without. */
  $$("[data-enhance]").forEach(function (e) { e.hidden = false; });
  $$("[data-nojs]").forEach(function (e) { e.hidden = true; });

  /* Copy buttons (the confirmation page's tracking link). */
  $$("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = $(button.getAttribute("data-copy"));
      input.select();
      var done = function () { button.textContent = button.getAttribute("data-done"); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, function () {});
      else { try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ } }
    });
  });

  var form = $("#report-form");
  if (!form) return;
  var T = JSON.parse($("#report-text").textContent);
  var index = JSON.parse($("#cat-index").textContent);
  var select = $("#f-category_code");
  var errorBox = $("#form-error");
  var showError = function (text) {
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
    if (text) errorBox.scrollIntoView({ block: "center" });
  };

  /* ------------------------------------------------------------ 1. category: search and choose */
  var search = $("#cat-q"), list = $("#cat-list"), none = $("#cat-none"), chosenBox = $("#cat-chosen");
  var options = [], active = -1;
  $("#cat-select-field").hidden = true;
  /* A hidden required control would stop the submit with no word to the resident: the submit handler
     below says what is missing instead. */
  select.required = false;

  var terms = function (text) {
    var phrase = text.toLowerCase().trim().replace(/\s+/g, " ");
    if (!phrase) return [];
    var words = phrase.split(" ").filter(function (w) { return w.length >= (/^[\x00-\x7f]+$/.test(w) ? 3 : 1); });
    return words.length > 1 ? [phrase].concat(words) : [phrase];
  };
  /* Like the catalogue's search: names and keywords containing the words, or named in a sentence. */
  var score = function (cat, words) {
    var total = 0;
    var names = cat.s.split("|");
    words.forEach(function (w) {
      names.forEach(function (n, i) {
        var weight = i < 2 ? 3 : 1;
        if (n === w) total += 50 * weight;
        else if (n.indexOf(w) >= 0) total += 20 * weight;
        else if (n.length >= 2 && w.indexOf(n) >= 0) total += 15 * weight;
      });
    });
    return total;
  };

  var render = function () {
    var words = terms(search.value);
    var shown = index;
    if (words.length) {
      shown = index.map(function (c) { return { c: c, s: score(c, words) }; })
        .filter(function (x) { return x.s > 0; })
        .sort(function (a, b) { return b.s - a.s; })
        .map(function (x) { return x.c; });
    }
    list.textContent = "";
    options = [];
    active = -1;
    var group = null, box = null;
    shown.forEach(function (c) {
      var key = words.length ? "" : c.g; /* browsing: grouped; searching: best first, group shown on each */
      if (!words.length && key !== group) {
        group = key;
        box = el("div", "cat-group");
        box.setAttribute("role", "group");
        var head = el("p", "cat-group-name", c.g);
        head.id = "cat-g-" + options.length;
        box.setAttribute("aria-labelledby", head.id);
        box.appendChild(head);
        list.appendChild(box);
      }
      var opt = el("div", "cat-option" + (c.c === select.value ? " current" : ""));
      opt.id = "cat-o-" + c.c;
      opt.setAttribute("role", "option");
      opt.setAttribute("aria-selected", "false");
      opt.setAttribute("data-code", c.c);
      opt.appendChild(el("span", "", c.n));
      if (words.length) opt.appendChild(el("span", "grp", c.g));
      (words.length ? list : box).appendChild(opt);
      options.push(opt);
    });
    none.hidden = shown.length > 0;
    search.setAttribute("aria-expanded", shown.length ? "true" : "false");
    if (words.length && options.length) move(0);
  };
  var move = function (i) {
    if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
    active = Math.max(0, Math.min(options.length - 1, i));
    var opt = options[active];
    if (!opt) return;
    opt.setAttribute("aria-selected", "true");
    search.setAttribute("aria-activedescendant", opt.id);
    if (opt.scrollIntoView) opt.scrollIntoView({ block: "nearest" });
  };
  var choose = function (code) {
    select.value = code;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };
  search.addEventListener("input", render);
  search.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { move(active + 1); e.preventDefault(); }
    else if (e.key === "ArrowUp") { move(active - 1); e.preventDefault(); }
    else if (e.key === "Enter") {
      e.preventDefault(); /* Enter in the search box chooses; it never sends the report half-filled */
      if (options[active]) choose(options[active].getAttribute("data-code"));
    } else if (e.key === "Escape") { search.value = ""; render(); }
  });
  list.addEventListener("click", function (e) {
    var opt = e.target.closest ? e.target.closest(".cat-option") : null;
    if (opt) choose(opt.getAttribute("data-code"));
  });

  var current = function () {
    for (var i = 0; i < index.length; i++) if (index[i].c === select.value) return index[i];
    return null;
  };
  var anonBox = $("#f-anonymous"), anonNote = $("#anon-note"), contact = $("#contact-fields"), phone = $("#f-reporter_phone");
  var syncContact = function () {
    var cat = current();
    var blocked = !!cat && !cat.a;
    anonBox.disabled = blocked;
    if (blocked) anonBox.checked = false;
    anonNote.hidden = !blocked;
    phone.required = blocked;
    contact.hidden = anonBox.checked;
  };
  anonBox.addEventListener("change", syncContact);

  select.addEventListener("change", function () {
    var cat = current();
    chosenBox.hidden = !cat;
    chosenBox.textContent = "";
    if (cat) {
      chosenBox.appendChild(document.createTextNode(T.chosen + " "));
      chosenBox.appendChild(el("strong", "", cat.n));
      chosenBox.appendChild(document.createTextNode(" · " + cat.g));
    }
    $$(".questions").forEach(function (fs) {
      var on = !!cat && fs.getAttribute("data-category") === cat.c;
      fs.hidden = !on;
      fs.disabled = !on; /* another kind's required questions must not block the submit */
    });
    $$(".cat-option", list).forEach(function (o) { o.classList.toggle("current", !!cat && o.getAttribute("data-code") === cat.c); });
    syncContact();
    checkDuplicates();
  });
  render();

  /* ------------------------------------------------------------ 2. where: map, my location, located area */
  var mapEl = $("#report-map"), place = $("#place"), lon = $("#f-lon"), lat = $("#f-lat");
  var showPlace = function (text, bad) {
    place.hidden = !text;
    place.textContent = text || "";
    place.classList.toggle("invalid", !!bad);
  };
  var located = null;
  var locate = function (x, y) {
    lon.value = ""; lat.value = "";
    showPlace(T.locating, false);
    cg.api("GET", "/api/v1/locate?lon=" + x + "&lat=" + y).then(function (res) {
      if (res.ok) {
        lon.value = x.toFixed(7); lat.value = y.toFixed(7);
        located = res.data;
        showPlace(fill(T.located, { street: res.data.street.name, community: res.data.community.name, grid: res.data.grid.name }));
        highlightGrid(res.data.grid.code);
        checkDuplicates();
      } else {
        located = null;
        showPlace(res.status === 422 ? T.outside : cg.errorText(res, T.locate_failed), true);
      }
    }, function () { showPlace(T.locate_failed, true); });
  };
  mapEl.addEventListener("cg:pick", function (e) { locate(e.detail.lon, e.detail.lat); });

  /* Communities are drawn first (17 KB); zoomed in, the grids in view are added from a bbox request. */
  var gridLayer = null, gridKey = "", gridCodes = {};
  var highlighted = "";
  var highlightGrid = function (code) {
    highlighted = code;
    if (!gridLayer) return;
    gridLayer.eachLayer(function (l) {
      var own = l.feature && l.feature.properties.code === code;
      l.setStyle(own ? { color: "#a3111a", weight: 3, fillColor: "#f5a623", fillOpacity: 0.15 } : { color: "#5a6475", weight: 1, fillOpacity: 0 });
    });
  };
  var loadGrids = function (map) {
    if (map.getZoom() < 14) return;
    var b = map.getBounds();
    var key = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(3); }).join(",");
    if (key === gridKey) return;
    gridKey = key;
    fetch("/api/v1/areas/geojson?level=grid&bbox=" + key, { credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (!gridLayer) gridLayer = L.geoJSON(null, { interactive: false }).addTo(map);
        data.features.forEach(function (f) {
          if (gridCodes[f.properties.code]) return;
          gridCodes[f.properties.code] = true;
          gridLayer.addData(f);
        });
        highlightGrid(highlighted);
      }, function () {});
  };
  mapEl.addEventListener("cg:ready", function (e) {
    var map = e.detail.map;
    map.on("moveend", function () { loadGrids(map); });
    if (lon.value && lat.value) {
      e.detail.setPoint(parseFloat(lon.value), parseFloat(lat.value), true);
      locate(parseFloat(lon.value), parseFloat(lat.value));
    }
  });
  $("#use-location").addEventListener("click", function () {
    cg.useMyLocation(mapEl, function () { showPlace(T.no_geolocation, true); });
  });

  /* ------------------------------------------------------------ 3. photos: preview, upload, remove */
  var fileInput = $("#f-photos"), photoList = $("#photo-list");
  var pending = 0;
  var photoCount = function () { return $$("li", photoList).length; };
  fileInput.addEventListener("change", function () {
    var files = Array.prototype.slice.call(fileInput.files || []);
    fileInput.value = ""; /* uploaded here: the form itself never carries the files */
    files.forEach(function (file) {
      if (photoCount() >= 3) { showError(T.too_many_photos); return; }
      var item = el("li", "photo busy");
      var img = el("img");
      img.alt = fill(T.photo_n, { n: photoCount() + 1 });
      img.src = URL.createObjectURL(file);
      var status = el("span", "", T.uploading);
      item.appendChild(img);
      item.appendChild(status);
      photoList.appendChild(item);
      var body = new FormData();
      body.append("files", file);
      pending += 1;
      cg.api("POST", "/api/v1/photos", body).then(function (res) {
        pending -= 1;
        item.classList.remove("busy");
        if (!res.ok) { item.parentNode.removeChild(item); showError(cg.errorText(res, T.upload_failed)); return; }
        var hidden = el("input");
        hidden.type = "hidden"; hidden.name = "photos"; hidden.value = res.data[0].name;
        item.appendChild(hidden);
        var remove = el("button", "btn small", T.remove);
        remove.type = "button";
        remove.addEventListener("click", function () { item.parentNode.removeChild(item); });
        item.replaceChild(remove, status);
      }, function () { pending -= 1; item.parentNode.removeChild(item); showError(T.upload_failed); });
    });
  });

  /* ------------------------------------------------------------ duplicates nearby, before sending */
  var dups = $("#dups"), dupsList = $("#dups-list"), send = $("#send"), description = $("#f-description");
  var dupTimer = null, dupAsked = "";
  var checkDuplicates = function () {
    clearTimeout(dupTimer);
    dupTimer = setTimeout(function () {
      if (!select.value || !lon.value || !lat.value) { dups.hidden = true; return; }
      var url = "/api/v1/duplicates?lon=" + lon.value + "&lat=" + lat.value + "&category=" + encodeURIComponent(select.value) +
        "&text=" + encodeURIComponent(description.value.slice(0, 500));
      if (url === dupAsked) return;
      dupAsked = url;
      cg.api("GET", url).then(function (res) {
        var found = res.ok && res.data ? res.data : [];
        dupsList.textContent = "";
        found.forEach(function (d) {
          var li = el("li", "dup");
          li.appendChild(el("strong", "", fill(T["case"], { number: d.number })));
          li.appendChild(el("span", "meta", " · " + (T.statuses[d.status] || d.status) + " · " + fill(T.away, { metres: d.distance_m }) +
            " · " + (d.days < 1 ? T.today : fill(T.ago, { days: Math.round(d.days) }))));
          li.appendChild(el("p", "", d.description));
          dupsList.appendChild(li);
        });
        dups.hidden = found.length === 0;
        send.textContent = found.length ? T.send_anyway : T.send;
      }, function () {});
    }, 400);
  };
  description.addEventListener("input", checkDuplicates);

  /* ------------------------------------------------------------ send: JSON to the API, once */
  var statusLine = $("#send-status"), sending = false;
  var attributes = function () {
    var out = {};
    var fs = $('.questions[data-category="' + select.value + '"]');
    if (!fs) return out;
    var prefix = "attr." + select.value + ".";
    $$("input, select, textarea", fs).forEach(function (input) {
      if (!input.name || input.name.indexOf(prefix) !== 0) return;
      if ((input.type === "checkbox" || input.type === "radio") && !input.checked) return;
      if (!input.value.trim()) return;
      var key = input.name.slice(prefix.length);
      if (input.type === "checkbox") (out[key] = out[key] || []).push(input.value);
      else out[key] = input.value;
    });
    return out;
  };
  var clean = function (v) { v = (v || "").trim(); return v || null; };
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) return; /* a double tap: the first one is on its way */
    if (!select.value) { showError(T.no_category); search.focus(); return; }
    if (!lon.value && !$("#f-address").value.trim()) { showError(T.no_point); return; }
    if (pending > 0) { statusLine.textContent = T.uploading; setTimeout(function () { form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }, 500); return; }
    var anonymous = anonBox.checked && !anonBox.disabled;
    var body = {
      source: "web", /* the resident's page, whoever is signed in (as the plain form files it) */
      category_code: select.value,
      description: description.value,
      address: $("#f-address").value,
      lon: lon.value ? parseFloat(lon.value) : null,
      lat: lat.value ? parseFloat(lat.value) : null,
      reporter_name: anonymous ? null : clean($("#f-reporter_name").value),
      reporter_phone: anonymous ? null : clean(phone.value),
      anonymous: anonymous,
      photos: $$('input[name="photos"]', photoList).map(function (i) { return i.value; }),
      attributes: attributes()
    };
    sending = true;
    Array.prototype.forEach.call(document.querySelectorAll(".field-error.from-server"), function (note) {
      note.parentNode.classList.remove("invalid");
      note.parentNode.removeChild(note);
    });
    send.disabled = true;
    statusLine.textContent = T.sending;
    showError("");
    var headers = { "Content-Type": "application/json", Accept: "application/json", "Accept-Language": lang(),
      "Idempotency-Key": $("#f-idempotency_key").value };
    if (csrf()) headers["X-CSRF-Token"] = csrf();
    fetch("/api/v1/cases", { method: "POST", headers: headers, credentials: "same-origin", body: JSON.stringify(body) })
      .then(function (res) {
        return res.json().then(function (data) { return { ok: res.ok, status: res.status, data: data }; },
          function () { return { ok: false, status: res.status, data: null }; });
      })
      .then(function (res) {
        if (res.ok && res.data.tracking_token) {
          window.location.assign("/report/sent/" + encodeURIComponent(res.data.tracking_token));
          return;
        }
        sending = false;
        send.disabled = false;
        statusLine.textContent = "";
        showError(cg.errorText(res, T.network));
        var fields = (res.data && res.data.error && res.data.error.fields) || [];
        fields.forEach(function (f) {
          var input = f.field === "lon" || f.field === "lat" ? null : $("#f-" + f.field);
          var box = input && input.closest ? input.closest(".field") : null;
          if (!box) { return; }
          box.classList.add("invalid");
          /* The server's own words under the field, replacing any earlier ones. */
          var note = box.querySelector(".field-error.from-server") || document.createElement("p");
          note.className = "field-error from-server";
          note.setAttribute("role", "alert");
          note.textContent = f.message || "";
          if (!note.parentNode) { box.appendChild(note); }
        });
      }, function () {
        /* No answer: the same Idempotency-Key on the next try returns the first report if it was stored. */
        sending = false;
        send.disabled = false;
        statusLine.textContent = "";
        showError(T.network);
      });
  });

  syncContact();
  if (current()) select.dispatchEvent(new Event("change")); /* a form shown again after a refusal */
})();
