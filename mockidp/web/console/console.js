// The mockidp console: one page over the control plane's JSON API (/mockidp/v1/…). No framework, no build
// step, nothing loaded from elsewhere. The control token (with --control-token) lives in sessionStorage only.
"use strict";

(() => {
  const ROOT = document.body.dataset.root || "";
  const API = ROOT + "/mockidp/v1";
  const CONSOLE = ROOT + "/mockidp/console";
  const TOKEN_KEY = "mockidp.controlToken";
  const FLOW_KEY = "mockidp.flow.";
  const POLL_MS = 1000;
  const TIME_CLAIMS = ["exp", "iat", "nbf", "auth_time", "session_exp", "sess_exp", "updated_at"];

  const $ = (id) => document.getElementById(id);
  const state = { journal: [], lastId: 0, polling: null, overview: null, clients: [], users: [], clockSkew: 0 };

  // ------------------------------------------------------------------------------------------ helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  function cell(value, className) {
    return el("td", { class: className }, value === null || value === undefined || value === "" ? "—" : value);
  }

  function list(values) {
    return values && values.length ? values.join(", ") : "—";
  }

  function notice(message, bad) {
    const box = $("notice");
    box.textContent = message;
    box.className = bad ? "notice bad" : "notice";
    box.hidden = !message;
  }

  function iso(seconds) {
    return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  }

  // "in 5 min", "3 h ago": relative to the domain clock, not the browser's.
  function relative(seconds, now) {
    const delta = seconds - now;
    const size = Math.abs(delta);
    let text;
    if (size < 1) return "now";
    if (size < 60) text = `${Math.round(size)} s`;
    else if (size < 3600) text = `${Math.round(size / 60)} min`;
    else if (size < 86400 * 2) text = `${Math.round(size / 360) / 10} h`;
    else text = `${Math.round(size / 8640) / 10} days`;
    return delta > 0 ? `in ${text}` : `${text} ago`;
  }

  function domainNow() {
    return Date.now() / 1000 + state.clockSkew;
  }

  // ------------------------------------------------------------------------------------------ the API

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error_description) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    const text = await response.text();
    let parsed = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { error_description: text };
      }
    }
    if (response.status === 401) {
      showUnlock(token ? "That control token was refused." : "");
      throw new ApiError(401, parsed);
    }
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed;
  }

  // Run an action from a button or form: say what happened, or why not.
  async function act(what, fn) {
    try {
      const result = await fn();
      notice(what);
      await refreshDomain();
      return result;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return undefined;
      notice(`${what.replace(/\.$/, "")} failed: ${error.message}`, true);
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------------------ control token

  function showUnlock(message) {
    $("unlock").hidden = false;
    $("unlock-message").textContent = message;
    stopPolling();
    $("control-token").focus();
  }

  $("unlock-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("control-token").value);
    $("control-token").value = "";
    try {
      await start();
      $("unlock").hidden = true;
      notice("Unlocked.");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) notice(error.message, true);
    }
  });

  // ------------------------------------------------------------------------------------------ journal

  function journalFilters() {
    return { client: $("filter-client").value, endpoint: $("filter-endpoint").value, status: $("filter-status").value };
  }

  function statusMatches(status, wanted) {
    if (!wanted) return true;
    if (wanted === "dropped") return status === null;
    if (status === null) return false;
    return wanted.endsWith("xx") ? String(status)[0] === wanted[0] : String(status) === wanted;
  }

  function renderJournal() {
    const filters = journalFilters();
    const shown = state.journal
      .filter(
        (entry) =>
          (!filters.client || entry.client_id === filters.client) &&
          (!filters.endpoint || entry.endpoint === filters.endpoint) &&
          statusMatches(entry.status, filters.status),
      )
      .slice()
      .reverse();
    fill(
      $("journal-rows"),
      shown.map((entry) => {
        const bad = entry.status === null || entry.status >= 400;
        return el(
          "tr",
          { class: bad ? "bad-row" : null, "data-id": entry.id },
          el("td", {}, el("button", { type: "button", class: "link", "aria-label": `Details of request ${entry.id}`, onclick: () => showEntry(entry) }, `#${entry.id}`)),
          cell(iso(entry.time).slice(11)),
          cell(entry.endpoint),
          cell(entry.client_id, "mono"),
          cell(entry.user),
          cell(entry.grant_type),
          cell(entry.auth_method),
          cell(entry.status === null ? "dropped" : entry.status, bad ? "bad" : "good"),
          cell(entry.error),
          cell(entry.duration_ms === null || entry.duration_ms === undefined ? "" : entry.duration_ms.toFixed(1), "num"),
        );
      }),
    );
    $("journal-empty").hidden = shown.length > 0;
    $("journal-empty").textContent = state.journal.length ? "No request matches the filters." : "No requests yet.";
    const clients = [...new Set(state.journal.map((entry) => entry.client_id).filter(Boolean))];
    syncOptions($("filter-client"), [...new Set([...state.clients.map((c) => c.client_id), ...clients])]);
  }

  function syncOptions(select, values) {
    const have = new Set([...select.options].map((option) => option.value));
    for (const value of values) if (!have.has(value)) select.append(el("option", { value }, value));
  }

  function showEntry(entry) {
    const box = $("journal-detail");
    box.hidden = false;
    box.replaceChildren(
      el("h3", {}, `Request #${entry.id}: ${entry.method} ${entry.path}`),
      el(
        "dl",
        { class: "facts-list" },
        ...[
          ["Status", entry.status === null ? "dropped" : entry.status],
          ["Error", entry.error],
          ["Reason", entry.reason],
          ["Fault", entry.fault],
          ["Scopes", list(entry.scopes)],
          ["PKCE", entry.pkce_method],
          ["Authorization", entry.authorization],
          ["Duration", entry.duration_ms === null || entry.duration_ms === undefined ? null : `${entry.duration_ms} ms`],
        ].flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value === null || value === undefined ? "—" : String(value))]),
      ),
      el("h4", {}, "Parameters (secrets redacted)"),
      el("pre", { class: "code wrap" }, JSON.stringify(entry.params, null, 2)),
    );
  }

  async function pollJournal() {
    const answer = await api("GET", `/requests?after=${state.lastId}`);
    if (answer.last_id < state.lastId) {
      // the journal was cleared or the domain reset: start over
      state.journal = [];
      state.lastId = 0;
      return pollJournal();
    }
    if (answer.requests.length) {
      state.journal.push(...answer.requests);
      if (state.journal.length > 1000) state.journal.splice(0, state.journal.length - 1000);
      state.lastId = answer.requests[answer.requests.length - 1].id;
    }
    renderJournal();
    return undefined;
  }

  function startPolling() {
    stopPolling();
    const tick = async () => {
      try {
        await pollJournal();
        await refreshClock();
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) notice(`The console lost the server: ${error.message}`, true);
      }
      if ($("journal-live").checked && $("unlock").hidden) state.polling = setTimeout(tick, POLL_MS);
    };
    state.polling = setTimeout(tick, 0);
  }

  function stopPolling() {
    if (state.polling) clearTimeout(state.polling);
    state.polling = null;
  }

  for (const id of ["filter-client", "filter-endpoint", "filter-status"]) $(id).addEventListener("change", renderJournal);
  $("journal-filter").addEventListener("submit", (event) => event.preventDefault());
  $("journal-live").addEventListener("change", () => ($("journal-live").checked ? startPolling() : stopPolling()));
  $("journal-clear").addEventListener("click", () =>
    act("Journal cleared.", async () => {
      await api("DELETE", "/requests");
      state.journal = [];
      state.lastId = 0;
      renderJournal();
    }),
  );

  // ------------------------------------------------------------------------------------------ token decoder

  async function decode(token) {
    const audience = $("token-audience").value.trim();
    const answer = await api("POST", "/tokens/check", audience ? { token, audience } : { token });
    const verdict = $("verdict");
    verdict.replaceChildren(
      el(
        "p",
        { class: answer.valid ? "verdict good" : "verdict bad", id: "verdict-summary" },
        answer.valid ? "Valid: this identity domain accepts this token now." : `Rejected: ${answer.reason}`,
      ),
      el(
        "ul",
        { class: "checks-list", id: "verdict-checks" },
        answer.checks.map((check) =>
          el("li", { class: check.ok ? "good" : "bad", "data-check": check.name }, el("strong", {}, `${check.ok ? "✓" : "✗"} ${check.name}`), ` ${check.detail}`),
        ),
      ),
    );
    $("token-header").textContent = answer.header ? JSON.stringify(answer.header, null, 2) : "—";
    const claims = answer.claims || {};
    fill(
      $("token-claims").tBodies[0],
      Object.entries(claims).map(([name, value]) => {
        const isTime = TIME_CLAIMS.includes(name) && typeof value === "number";
        return el(
          "tr",
          { "data-claim": name },
          el("th", { scope: "row", class: "mono" }, name),
          el("td", { class: "mono wrap" }, typeof value === "string" ? value : JSON.stringify(value)),
          el("td", {}, isTime ? `${iso(value)} (${relative(value, answer.now)})` : ""),
        );
      }),
    );
    return answer;
  }

  $("decode-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await decode($("token-input").value.trim());
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) $("verdict").replaceChildren(el("p", { class: "verdict bad", id: "verdict-summary" }, error.message));
    }
  });

  // ------------------------------------------------------------------------------------------ the domain

  async function refreshClock() {
    const clock = await api("GET", "/clock");
    state.clockSkew = clock.now - Date.now() / 1000;
    $("clock-now").textContent = clock.iso.replace(/\.\d+Z$/, "Z");
    $("clock-now").setAttribute("datetime", clock.iso);
    const offset = Math.round(clock.offset);
    const parts = [];
    if (clock.frozen) parts.push("frozen");
    if (Math.abs(offset) >= 1) parts.push(`${offset > 0 ? "+" : ""}${offset} s from real time`);
    $("clock-note").textContent = parts.length ? `(${parts.join(", ")})` : "(real time)";
  }

  async function refreshDomain() {
    const [overview, users, clients, resources, keys, faults] = await Promise.all([
      api("GET", "/domain"),
      api("GET", "/users"),
      api("GET", "/clients"),
      api("GET", "/resources"),
      api("GET", "/keys"),
      api("GET", "/faults"),
    ]);
    state.overview = overview;
    state.users = users.users;
    state.clients = clients.clients;
    $("tenant").textContent = overview.tenant;
    const facts = [
      ["Tenant", overview.tenant],
      ["Domain URL", overview.url],
      ["Issuer", overview.issuer],
      ["Discovery", el("a", { href: overview.discovery_url }, overview.discovery_url)],
      ["JWKS", el("a", { href: overview.jwks_url }, overview.jwks_url)],
      ["Fixtures", overview.fixtures],
      ["Lifetimes", `access ${overview.access_token_ttl} s · refresh ${overview.refresh_token_ttl} s · code ${overview.code_ttl} s · session ${overview.session_ttl} s`],
      ["Client quirks", `JWKS key_ops ${JSON.stringify(overview.quirks.jwks_key_ops)} · group claims as ${overview.quirks.group_claims} · profile in ID tokens ${overview.quirks.id_token_profile ? "yes" : "no"}`],
    ];
    $("domain-facts").replaceChildren(...facts.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
    fill(
      $("users-table").tBodies[0],
      users.users.map((u) => el("tr", {}, cell(u.user_name, "mono"), cell(u.name), cell(u.email), cell(list(u.groups)), cell(list(u.app_roles)), cell(u.source))),
    );
    fill(
      $("clients-table").tBodies[0],
      clients.clients.map((c) =>
        el(
          "tr",
          {},
          el("td", {}, el("span", { class: "mono" }, c.client_id), c.name ? el("div", { class: "muted" }, c.name) : null),
          cell(c.confidential ? "confidential" : "public"),
          cell(list(c.grant_types)),
          cell(list(c.redirect_uris), "mono wrap"),
          cell(list(c.allowed_scopes), "mono wrap"),
          cell(c.source),
        ),
      ),
    );
    fill(
      $("resources-table").tBodies[0],
      resources.resources.map((r) => el("tr", {}, cell(r.name), cell(r.audience, "mono"), cell(r.scopes.map((s) => r.audience + s).join(" "), "mono wrap"), cell(r.source))),
    );
    fill(
      $("keys-table").tBodies[0],
      keys.keys.map((k) =>
        el(
          "tr",
          { "data-kid": k.kid },
          cell(k.kid, "mono"),
          cell(k.status),
          cell(k.x5t, "mono"),
          cell(k.created_at ? iso(k.created_at) : k.source),
          el(
            "td",
            {},
            k.status === "active"
              ? ""
              : el("button", { type: "button", class: "secondary small", "aria-label": `Retire ${k.kid}`, onclick: () => act(`Retired ${k.kid}.`, () => api("DELETE", `/keys/${encodeURIComponent(k.kid)}`)) }, "Retire"),
          ),
        ),
      ).concat(
        (keys.retired || []).map((k) =>
          el("tr", { "data-kid": k.kid, class: "muted" }, cell(k.kid, "mono"), cell("retired"), cell(""), cell(`retired ${iso(k.retired_at)}`), el("td", {}, "")),
        ),
      ),
    );
    fill(
      $("faults-table").tBodies[0],
      faults.faults.map((f) =>
        el(
          "tr",
          { "data-fault": f.id },
          cell(f.id, "mono"),
          cell(f.endpoint),
          cell(describeFault(f)),
          cell(String(f.hits), "num"),
          cell(f.remaining === null ? "every request" : String(f.remaining), "num"),
          el("td", {}, f.active ? el("button", { type: "button", class: "secondary small", "aria-label": `Delete ${f.id}`, onclick: () => act(`Deleted ${f.id}.`, () => api("DELETE", `/faults/${encodeURIComponent(f.id)}`)) }, "Delete") : "used up"),
        ),
      ),
    );
    fillSelects(overview);
    await refreshClock();
  }

  function describeFault(fault) {
    const parts = [];
    if (fault.delay) parts.push(`delay ${fault.delay} s`);
    if (fault.error) parts.push(fault.error);
    else if (fault.status) parts.push(`status ${fault.status}`);
    if (fault.drop) parts.push("drop the connection");
    if (fault.malformed) parts.push("malformed body");
    return parts.join(", ") || "—";
  }

  function setOptions(select, options) {
    const keep = select.value;
    select.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
    if ([...select.options].some((option) => option.value === keep)) select.value = keep;
  }

  function fillSelects(overview) {
    if (!$("fault-endpoint").options.length) {
      setOptions($("fault-endpoint"), [...overview.endpoints, "any"].map((e) => [e, e]));
      setOptions($("fault-kind"), [
        ...overview.named_errors.map((name) => [`error:${name}`, `error ${name}`]),
        ["status", "any status (below)"],
        ["delay", "only the delay, then the real answer"],
        ["drop", "drop the connection"],
        ["malformed", "a malformed 200 body"],
      ]);
      $("fault-kind").value = "error:temporarily_unavailable";
      syncOptions($("filter-endpoint"), overview.journal_endpoints);
      $("mint-defects").replaceChildren(
        ...overview.defects.map((defect) => el("label", { class: "inline" }, el("input", { type: "checkbox", value: defect, name: "defect" }), ` ${defect}`)),
      );
    }
    const clientOptions = state.clients.map((c) => [c.client_id, c.name ? `${c.name} (${c.client_id})` : c.client_id]);
    setOptions($("mint-client"), clientOptions);
    setOptions($("mint-user"), [["", "none (a client token)"], ...state.users.map((u) => [u.user_name, u.user_name])]);
    setOptions(
      $("flow-client"),
      state.clients.filter((c) => c.grant_types.includes("authorization_code")).map((c) => [c.client_id, c.name ? `${c.name} (${c.client_id})` : c.client_id]),
    );
  }

  // ------------------------------------------------------------------------------------------ control

  $("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const kind = $("fault-kind").value;
    const fault = { endpoint: $("fault-endpoint").value, times: Number($("fault-times").value) || 1 };
    const delay = Number($("fault-delay").value);
    if (delay > 0) fault.delay = delay;
    if (kind.startsWith("error:")) fault.error = kind.slice(6);
    else if (kind === "status") fault.status = Number($("fault-status").value);
    else if (kind === "drop") fault.drop = true;
    else if (kind === "malformed") fault.malformed = true;
    else if (!fault.delay) fault.delay = 1;
    act(`Fault queued for the next ${fault.times} ${fault.endpoint} request${fault.times > 1 ? "s" : ""}.`, () => api("POST", "/faults", fault));
  });

  const clock = (body, what) => act(what, () => api("POST", "/clock", body));
  $("clock-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Number($("clock-seconds").value);
    clock({ action: "advance", seconds }, `Clock moved ${seconds} s.`);
  });
  $("clock-set").addEventListener("click", () => clock({ action: "set", time: $("clock-time").value.trim() }, "Clock set."));
  $("clock-freeze").addEventListener("click", () => clock({ action: "freeze" }, "Clock frozen."));
  $("clock-unfreeze").addEventListener("click", () => clock({ action: "unfreeze" }, "Clock running."));
  $("clock-reset").addEventListener("click", () => clock({ action: "reset" }, "Clock back to real time."));
  $("key-rotate").addEventListener("click", () => act("Rotated: a new key signs from now on.", () => api("POST", "/keys/rotate")));
  $("key-next").addEventListener("click", () => act("Next key published.", () => api("POST", "/keys/next")));
  $("domain-reset").addEventListener("click", () =>
    act("Domain reset to the fixtures.", async () => {
      await api("POST", "/reset");
      state.journal = [];
      state.lastId = 0;
      renderJournal();
    }),
  );

  $("mint-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { client_id: $("mint-client").value, kind: $("mint-kind").value };
    if ($("mint-user").value) body.user = $("mint-user").value;
    if ($("mint-scope").value.trim()) body.scope = $("mint-scope").value.trim();
    const defects = [...document.querySelectorAll("#mint-defects input:checked")].map((input) => input.value);
    if (defects.length) body.defects = defects;
    const minted = await act(`Token minted${defects.length ? ` with ${defects.join(", ")}` : ""}.`, () => api("POST", "/tokens", body));
    if (minted) {
      $("minted").hidden = false;
      $("minted-token").textContent = minted.token;
    }
  });
  $("minted-check").addEventListener("click", async () => {
    $("token-input").value = $("minted-token").textContent;
    location.hash = "#decoder";
    await decode($("token-input").value).catch((error) => notice(error.message, true));
    $("token-input").focus();
  });

  // ------------------------------------------------------------------------------------------ flow debugger

  function step(title, ...body) {
    const item = el("li", { class: "step" }, el("h3", {}, title), ...body);
    $("flow-steps").append(item);
    return item;
  }

  function pairs(object) {
    return el(
      "table",
      { class: "pairs" },
      el("tbody", {}, Object.entries(object).map(([name, value]) => el("tr", {}, el("th", { scope: "row", class: "mono" }, name), el("td", { class: "mono wrap" }, String(value))))),
    );
  }

  function shorten(token) {
    return typeof token === "string" && token.length > 60 ? `${token.slice(0, 24)}…${token.slice(-12)}` : token;
  }

  $("flow-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const flow = await api("POST", "/console/flows", { client_id: $("flow-client").value, scope: $("flow-scope").value });
      sessionStorage.setItem(FLOW_KEY + flow.state, JSON.stringify({ ...flow, started: Date.now() }));
      location.assign(flow.authorize_url); // the real authorize request, in this tab: sign in, then come back
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) notice(`The flow did not start: ${error.message}`, true);
    }
  });

  async function finishFlow() {
    const params = new URLSearchParams(location.search);
    history.replaceState(null, "", `${CONSOLE}#debugger`); // the code leaves the address bar
    const stored = params.get("state") && sessionStorage.getItem(FLOW_KEY + params.get("state"));
    $("flow-steps").replaceChildren();
    if (!stored) {
      step("Callback", el("p", { class: "bad" }, "This callback does not belong to a flow started in this tab."), pairs(Object.fromEntries(params)));
      return;
    }
    sessionStorage.removeItem(FLOW_KEY + params.get("state"));
    const flow = JSON.parse(stored);
    step("1. Authorization request", el("p", { class: "mono wrap" }, `GET ${flow.authorize_url.split("?")[0]}`), pairs(flow.authorize_params));
    step("2. Sign-in", el("p", {}, "The identity domain's sign-in page (or its SSO session) signed the user in."));
    const callback = Object.fromEntries(params);
    if (callback.code) callback.code = shorten(callback.code);
    step("3. Authorization response (callback)", pairs(callback));
    if (params.get("error")) {
      step("Result", el("p", { class: "bad", id: "flow-result" }, `The flow ended with ${params.get("error")}: ${params.get("error_description") || ""}`));
      return;
    }
    const form = { grant_type: "authorization_code", code: params.get("code"), redirect_uri: flow.redirect_uri, code_verifier: flow.code_verifier };
    const headers = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
    if (flow.confidential && flow.client_secret) {
      headers.Authorization = `Basic ${btoa(`${encodeURIComponent(flow.client_id)}:${encodeURIComponent(flow.client_secret)}`)}`;
    } else {
      form.client_id = flow.client_id;
    }
    step(
      "4. Token request",
      el("p", { class: "mono" }, `POST ${ROOT}/oauth2/v1/token`),
      pairs({ ...(headers.Authorization ? { Authorization: "Basic [redacted]" } : {}), ...form, code: shorten(form.code), code_verifier: "[redacted]" }),
    );
    const response = await fetch(`${ROOT}/oauth2/v1/token`, { method: "POST", headers, body: new URLSearchParams(form), cache: "no-store" });
    const answer = await response.json().catch(() => ({}));
    const shown = Object.fromEntries(Object.entries(answer).map(([name, value]) => [name, name.endsWith("token") ? shorten(value) : value]));
    step(`5. Token response: HTTP ${response.status}`, pairs(shown));
    if (!response.ok) {
      step("Result", el("p", { class: "bad", id: "flow-result" }, `The token request failed: ${answer.error}: ${answer.error_description}`));
      return;
    }
    for (const name of ["access_token", "id_token"]) {
      if (!answer[name]) continue;
      const checked = await api("POST", "/tokens/check", { token: answer[name] });
      step(
        `6. ${name === "id_token" ? "ID token" : "Access token"}: ${checked.valid ? "valid" : `rejected: ${checked.reason}`}`,
        el("pre", { class: "code wrap", "data-token": name }, JSON.stringify(checked.claims, null, 2)),
        el("button", { type: "button", class: "secondary small", onclick: () => { $("token-input").value = answer[name]; location.hash = "#decoder"; decode(answer[name]); } }, `Open the ${name === "id_token" ? "ID" : "access"} token in the decoder`),
      );
    }
    const info = await fetch(`${ROOT}/oauth2/v1/userinfo`, { headers: { Authorization: `Bearer ${answer.access_token}` }, cache: "no-store" });
    const claims = await info.json().catch(() => ({}));
    step(`7. Userinfo: HTTP ${info.status}`, el("pre", { class: "code wrap", id: "flow-userinfo" }, JSON.stringify(claims, null, 2)));
    step("Result", el("p", { class: info.ok ? "good" : "bad", id: "flow-result" }, info.ok ? `Signed in as ${claims.sub}.` : `Userinfo failed: ${claims.error_description}`));
    $("debugger").scrollIntoView();
  }

  // ------------------------------------------------------------------------------------------ start

  async function start() {
    await refreshDomain();
    state.journal = [];
    state.lastId = 0;
    startPolling();
    if (location.pathname === `${CONSOLE}/callback`) await finishFlow();
  }

  start().catch((error) => {
    if (!(error instanceof ApiError && error.status === 401)) notice(`The console cannot reach the control plane: ${error.message}`, true);
  });
})();
