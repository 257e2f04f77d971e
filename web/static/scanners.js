// The Scanners page, live: listens to /scanners/events (server-sent events) and updates each agent's card in place.
// Without JavaScript the page is the same, only still: the Reload link brings it up to date.
// Everything the agents report is written with textContent, never as HTML: an agent's state is not trusted.
(function () {
  "use strict";

  var page = document.querySelector("[data-events-url]");
  if (!page || !window.EventSource) {
    return;
  }
  var labels = JSON.parse(page.getAttribute("data-labels") || "{}");
  var idleLimit = 1000 * Number(page.getAttribute("data-idle-seconds") || 450);
  var notice = page.querySelector(".live-notice");
  var receivedAt = Date.now();
  var lastActivity = Date.now();
  var source = new EventSource(page.getAttribute("data-events-url"));

  function label(key) {
    return Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : key;
  }

  function say(text) {
    notice.textContent = text;
    notice.hidden = false;
  }

  function field(card, name) {
    return card.querySelector('[data-field="' + name + '"]');
  }

  function setText(card, name, text) {
    var element = field(card, name);
    if (element) {
      element.textContent = text;
    }
  }

  function cardsByAgent() {
    var cards = {};
    page.querySelectorAll("article[data-agent]").forEach(function (card) {
      cards[card.getAttribute("data-agent")] = card;
    });
    return cards;
  }

  function showAge(element, seconds) {
    element.textContent = label("seconds_ago").replace("{seconds}", String(seconds));
  }

  function updateBatch(card, batch) {
    var block = field(card, "batch");
    if (!block) {
      return;
    }
    block.hidden = !batch;
    if (!batch) {
      return;
    }
    var link = field(card, "batch-link");
    link.href = link.getAttribute("data-url-template").replace("BATCH-ID", encodeURIComponent(batch.id));
    setText(card, "batch-id", batch.id);
    setText(card, "batch-state", label(batch.state));
    setText(card, "pages", String(batch.pages));
    setText(card, "documents", String(batch.documents));
    var error = field(card, "batch-error");
    error.textContent = batch.error || "";
    error.hidden = !batch.error;
  }

  function updateCard(card, agent) {
    card.classList.toggle("online", agent.online);
    card.classList.toggle("offline", !agent.online);
    setText(card, "status", label(agent.online ? "online" : "offline"));
    setText(card, "outbox-pending", String(agent.outbox_pending));
    setText(card, "last-error", agent.last_error || "");
    var age = field(card, "age");
    if (age) {
      age.setAttribute("data-age", String(agent.age_seconds));
      showAge(age, agent.age_seconds);
    }
    updateBatch(card, agent.batch);
  }

  function sameDevices(card, agent) {
    var shown = JSON.parse(card.getAttribute("data-devices") || "[]");
    return shown.length === agent.devices.length && shown.every(function (name, index) {
      return name === agent.devices[index];
    });
  }

  function update(event) {
    var state = JSON.parse(event.data);
    var cards = cardsByAgent();
    var changed = Object.keys(cards).length !== state.agents.length;
    receivedAt = Date.now();
    state.agents.forEach(function (agent) {
      var card = cards[agent.agent];
      if (!card) {
        changed = true;
        return;
      }
      changed = changed || !sameDevices(card, agent);
      updateCard(card, agent);
    });
    if (changed) {
      say(label("changed"));
    }
  }

  function tick() {
    var elapsed = Math.floor((Date.now() - receivedAt) / 1000);
    page.querySelectorAll('[data-field="age"]').forEach(function (element) {
      showAge(element, Number(element.getAttribute("data-age")) + elapsed);
    });
    // Each reconnect is a request that keeps the session alive: stop listening when nobody is at the screen,
    // so the session can still end on its idle timeout.
    if (Date.now() - lastActivity > idleLimit && source.readyState !== EventSource.CLOSED) {
      source.close();
      say(label("paused"));
    }
  }

  function active() {
    lastActivity = Date.now();
  }

  source.addEventListener("agents", update);
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      say(label("stopped"));
    }
  });
  ["pointerdown", "keydown", "scroll", "touchstart"].forEach(function (name) {
    window.addEventListener(name, active, { passive: true });
  });
  window.setInterval(tick, 1000);
}());
