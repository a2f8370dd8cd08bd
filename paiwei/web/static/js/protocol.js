// paiwei draw protocol v1 in the browser: an independent implementation written from
// docs/draw-spec.md (sections cited as §n), checked against tests/vectors/ and against the
// Python reference verifier by tests/e2e/. SHA-256 and Ed25519 come from Web Crypto.
//
// Verification steps (§17), numbered as in the spec and in lottery/_verifier.py:
//   0. parse and shape-check (§16): a malformed bundle has no checks;
//   1. input root; 2. commitment of NAME; 3. seed; 4. tickets; 5. assignments;
//   6. school results (when present); 7. signatures (and trusted keys).

const encoder = new TextEncoder();
const subtle = globalThis.crypto.subtle;

export const FORMAT = "paiwei-draw/1";
export const MECHANISMS = ["deferred-acceptance", "preference-first"];
const MAX_INT = 9007199254740991;

export class Malformed extends Error {}

// --- §2 notation ----------------------------------------------------------------------------

export function utf8(text) {
  return encoder.encode(text);
}

function wellFormed(text) {
  if (typeof text.isWellFormed === "function") return text.isWellFormed();
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

// Text that is framed must be NFC and valid Unicode; implementations refuse, never normalise.
export function framedText(text, where) {
  if (typeof text !== "string" || text.length === 0) throw new Malformed(`${where}: non-empty text expected`);
  if (!wellFormed(text)) throw new Malformed(`${where}: not valid Unicode`);
  if (text.normalize("NFC") !== text) throw new Malformed(`${where}: not in NFC`);
  return text;
}

export function concat(...parts) {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function u32(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

export function frame(bytes) {
  return concat(u32(bytes.length), bytes);
}

export function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function fromHex(text, where, size = null, minimum = null) {
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) {
    throw new Malformed(`${where}: lowercase hex expected`);
  }
  const n = text.length / 2;
  if (size !== null && n !== size) throw new Malformed(`${where}: ${size} bytes expected`);
  if (minimum !== null && n < minimum) throw new Malformed(`${where}: at least ${minimum} bytes expected`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function equalBytes(a, b) {
  return compareBytes(a, b) === 0;
}

// --- §3 tagged hashes ------------------------------------------------------------------------

export async function sha256(bytes) {
  return new Uint8Array(await subtle.digest("SHA-256", bytes));
}

const prefixes = new Map();

async function tagPrefix(tag) {
  if (!prefixes.has(tag)) {
    const t = await sha256(utf8(tag));
    prefixes.set(tag, concat(t, t));
  }
  return prefixes.get(tag);
}

// TH(tag, m) = SHA256(SHA256(tag) ‖ SHA256(tag) ‖ m)
export async function taggedHash(tag, message) {
  return sha256(concat(await tagPrefix(tag), message));
}

// Many tagged hashes, in batches, reporting progress; results in input order.
export async function taggedHashes(tag, messages, onProgress = () => {}) {
  const prefix = await tagPrefix(tag);
  const out = new Array(messages.length);
  const batch = 2048;
  for (let start = 0; start < messages.length; start += batch) {
    const end = Math.min(messages.length, start + batch);
    const jobs = [];
    for (let i = start; i < end; i++) jobs.push(sha256(concat(prefix, messages[i])));
    const done = await Promise.all(jobs);
    for (let i = start; i < end; i++) out[i] = done[i - start];
    onProgress(end / messages.length);
  }
  return out;
}

// --- §4 canonical JSON (RFC 8785 on the protocol's domain) --------------------------------

const ESCAPES = { "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\" };

function jcsString(s) {
  return '"' + s.replace(/[\u0000-\u001f"\\]/g,
    (c) => ESCAPES[c] || "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")) + '"';
}

export function jcs(value) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "number") {
    if (!Number.isInteger(value) || Math.abs(value) > MAX_INT) throw new Malformed("number outside the domain");
    return Object.is(value, -0) ? "0" : String(value);
  }
  if (typeof value === "string") return jcsString(value);
  if (Array.isArray(value)) return "[" + value.map(jcs).join(",") + "]";
  const keys = Object.keys(value).sort();  // ASCII names: UTF-16 order is byte order
  return "{" + keys.map((k) => jcsString(k) + ":" + jcs(value[k])).join(",") + "}";
}

// Strict JSON reading for the domain: no floats (not even 1.0 or 1e3), integers within
// ±(2^53 − 1), ASCII object names, no lone surrogates. Repeated names keep the last, as the
// reference verifier does (a known deviation the spec records in §16).
export function parseStrict(text) {
  let sourceChecked = false;
  const value = JSON.parse(text, function (key, v, context) {
    if (key !== "" && !Array.isArray(this) && !/^[\x00-\x7f]*$/.test(key)) {
      throw new Malformed(`object name ${JSON.stringify(key)} is not ASCII`);
    }
    if (typeof key === "string" && !wellFormed(key)) throw new Malformed("object name is not valid Unicode");
    if (typeof v === "number") {
      if (context && typeof context.source === "string") {
        sourceChecked = true;
        if (!/^-?(0|[1-9][0-9]*)$/.test(context.source)) throw new Malformed(`${context.source} is not an integer`);
      }
      if (!Number.isInteger(v) || Math.abs(v) > MAX_INT) throw new Malformed("integer outside ±(2^53 − 1)");
    } else if (typeof v === "string" && !wellFormed(v)) {
      throw new Malformed("a string holds a lone surrogate");
    }
    return v;
  });
  return { value, sourceChecked };
}

// --- §6-§10 Merkle tree, input root, commitments, seed, tickets ------------------------------

export async function leafHashes(records, onProgress) {
  const sorted = records.map((r) => ({ r, id: utf8(r.id) })).sort((a, b) => compareBytes(a.id, b.id));
  return taggedHashes("paiwei/v1/leaf", sorted.map((x) => utf8(jcs(x.r))), onProgress);
}

export async function merkleRoot(leaves) {
  if (leaves.length === 0) return taggedHash("paiwei/v1/empty", new Uint8Array(0));
  let level = leaves;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(taggedHash("paiwei/v1/node", concat(level[i], level[i + 1])));
    const hashed = await Promise.all(next);
    if (level.length % 2 === 1) hashed.push(level[level.length - 1]);  // carried up unchanged
    level = hashed;
  }
  return level[0];
}

// RFC 9162 §2.1.3.2: the root an audit path leads to from a leaf at index of size, or null.
export async function rootFromPath(leaf, index, size, path) {
  if (!(index >= 0 && index < size)) return null;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if ((fn & 1) || fn === sn) {
      r = await taggedHash("paiwei/v1/node", concat(p, r));
      if (!(fn & 1)) while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else {
      r = await taggedHash("paiwei/v1/node", concat(r, p));
    }
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 ? r : null;
}

export async function inputRoot(drawId, schoolsRoot, applicantsRoot) {
  return taggedHash("paiwei/v1/inputs", concat(frame(utf8(drawId)), schoolsRoot, applicantsRoot));
}

export async function commitment(drawId, contributor, nonce, value) {
  return taggedHash("paiwei/v1/commit",
    concat(frame(utf8(drawId)), frame(utf8(contributor)), frame(nonce), frame(value)));
}

export async function deriveSeed(drawId, root, contributions) {
  const sorted = contributions.map((c) => ({ name: utf8(c.contributor), value: c.value }))
    .sort((a, b) => compareBytes(a.name, b.name));
  const parts = [frame(utf8(drawId)), root];
  for (const c of sorted) parts.push(frame(c.name), frame(c.value));
  return taggedHash("paiwei/v1/seed", concat(...parts));
}

// ticket(applicant) = TH("paiwei/v1/ticket", seed ‖ F(applicant.id))
export async function ticket(seed, applicantId) {
  return taggedHash("paiwei/v1/ticket", concat(seed, frame(utf8(applicantId))));
}

export async function tickets(seed, ids, onProgress) {
  return taggedHashes("paiwei/v1/ticket", ids.map((id) => concat(seed, frame(utf8(id)))), onProgress);
}

// --- §11 mechanisms ---------------------------------------------------------------------------

// The lottery order: (ticket, id bytes) ascending; rank[i] is applicant i's position.
export function lotteryRanks(ticketList, idBytes) {
  const order = ticketList.map((_, i) => i).sort((a, b) =>
    compareBytes(ticketList[a], ticketList[b]) || compareBytes(idBytes[a], idBytes[b]));
  const rank = new Array(order.length);
  order.forEach((applicant, position) => { rank[applicant] = position; });
  return rank;
}

class MaxHeap {
  constructor(worse) { this.items = []; this.worse = worse; }
  get size() { return this.items.length; }
  push(x) {
    const a = this.items; a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.worse(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]]; i = p;
    }
  }
  pop() {
    const a = this.items; const top = a[0]; const last = a.pop();
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1; let m = i;
        if (l < a.length && this.worse(a[l], a[m])) m = l;
        if (r < a.length && this.worse(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]]; i = m;
      }
    }
    return top;
  }
}

// key(a, s) = (priority, ticket, id) compared through the lottery rank.
function keyOf(applicants, rank, a, s) {
  return [applicants[a].priority[s], rank[a]];
}

function worseKey(x, y) {
  return x.key[0] !== y.key[0] ? x.key[0] > y.key[0] : x.key[1] > y.key[1];
}

// §11.1 applicant-proposing deferred acceptance. Returns the school id or null per applicant.
export function deferredAcceptance(schools, applicants, rank) {
  const capacity = new Map(schools.map((s) => [s.id, s.capacity]));
  const held = new Map(schools.map((s) => [s.id, new MaxHeap(worseKey)]));
  const next = new Array(applicants.length).fill(0);
  const result = new Array(applicants.length).fill(null);
  const free = applicants.map((_, i) => i).reverse();
  while (free.length) {
    const a = free.pop();
    const choices = applicants[a].choices;
    if (next[a] >= choices.length) { result[a] = null; continue; }
    const s = choices[next[a]++];
    const heap = held.get(s);
    heap.push({ a, key: keyOf(applicants, rank, a, s) });
    result[a] = s;
    if (heap.size > capacity.get(s)) {
      const w = heap.pop().a;
      result[w] = null;
      free.push(w);
    }
  }
  return result;
}

// §11.2 preference-first (志愿优先): by rank of choice, places once given are kept.
export function preferenceFirst(schools, applicants, rank) {
  const seats = new Map(schools.map((s) => [s.id, s.capacity]));
  const result = new Array(applicants.length).fill(null);
  const longest = applicants.reduce((m, a) => Math.max(m, a.choices.length), 0);
  for (let k = 0; k < longest; k++) {
    const applying = new Map();
    applicants.forEach((ap, a) => {
      if (result[a] === null && ap.choices.length > k) {
        const s = ap.choices[k];
        if (!applying.has(s)) applying.set(s, []);
        applying.get(s).push(a);
      }
    });
    for (const [s, list] of applying) {
      list.sort((x, y) => {
        const kx = keyOf(applicants, rank, x, s), ky = keyOf(applicants, rank, y, s);
        return kx[0] - ky[0] || kx[1] - ky[1];
      });
      const admit = Math.min(seats.get(s), list.length);
      for (let i = 0; i < admit; i++) result[list[i]] = s;
      seats.set(s, seats.get(s) - admit);
    }
  }
  return result;
}

// §13 per-school results, in the order of the bundle's schools.
export function schoolResults(schools, applicants, placed, ticketList) {
  const stats = new Map(schools.map((s) => [s.id, { listed: 0, applied: 0, admitted: 0, key: null }]));
  applicants.forEach((ap, a) => {
    const upTo = placed[a] === null ? ap.choices.length : ap.choices.indexOf(placed[a]) + 1;
    ap.choices.forEach((s, at) => {
      const st = stats.get(s);
      st.listed++;
      if (at < upTo) st.applied++;
    });
    if (placed[a] !== null) {
      const s = placed[a], st = stats.get(s);
      st.admitted++;
      const key = [ap.priority[s], ticketList[a]];
      if (st.key === null || key[0] > st.key[0] || (key[0] === st.key[0] && compareBytes(key[1], st.key[1]) > 0)) st.key = key;
    }
  });
  return schools.map((school) => {
    const st = stats.get(school.id);
    return { school: school.id, listed: st.listed, applied: st.applied, admitted: st.admitted,
      mode: st.admitted === st.applied ? "direct" : "drawn",
      cutoff: st.key === null ? null : { priority: st.key[0], ticket: toHex(st.key[1]) } };
  });
}

// --- §16 shape -------------------------------------------------------------------------------

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function need(obj, keys, where) {
  if (!isObject(obj)) throw new Malformed(`${where}: an object expected`);
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(obj, k)) throw new Malformed(`${where}: missing ${k}`);
  return obj;
}

function list(v, where) {
  if (!Array.isArray(v)) throw new Malformed(`${where}: a list expected`);
  return v;
}

function integer(v, where) {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Malformed(`${where}: an integer expected`);
  return v;
}

export function shape(b) {
  need(b, ["format", "draw_id", "ceremony", "schools", "applicants", "assignments", "signatures"], "bundle");
  if (b.format !== FORMAT) throw new Malformed(`format must be ${FORMAT}`);
  const drawId = framedText(b.draw_id, "draw_id");
  const mechanism = Object.prototype.hasOwnProperty.call(b, "mechanism") ? b.mechanism : "deferred-acceptance";
  if (!MECHANISMS.includes(mechanism)) throw new Malformed("unknown mechanism");
  const c = need(b.ceremony, ["input_root", "contributions", "seed"], "ceremony");
  const root = fromHex(c.input_root, "ceremony.input_root", 32);
  const seed = fromHex(c.seed, "ceremony.seed", 32);
  const names = new Set();
  const contributions = list(c.contributions, "contributions").map((x, i) => {
    const here = `contributions[${i}]`;
    need(x, ["contributor", "value"], here);
    const name = framedText(x.contributor, `${here}.contributor`);
    if (names.has(name)) throw new Malformed(`${here}: contributor appears twice`);
    names.add(name);
    const hasNonce = "nonce" in x, hasCommitment = "commitment" in x;
    if (hasNonce !== hasCommitment) throw new Malformed(`${here}: nonce and commitment come together`);
    return {
      contributor: name, value: fromHex(x.value, `${here}.value`),
      nonce: hasNonce ? fromHex(x.nonce, `${here}.nonce`, null, 16) : null,
      commitment: hasCommitment ? fromHex(x.commitment, `${here}.commitment`, 32) : null,
    };
  });
  const schoolIds = new Set();
  const schools = list(b.schools, "schools").map((s, i) => {
    need(s, ["id", "capacity"], `schools[${i}]`);
    if (typeof s.id !== "string" || !s.id || !/^[\x00-\x7f]+$/.test(s.id)) throw new Malformed(`schools[${i}].id: non-empty ASCII expected`);
    if (schoolIds.has(s.id)) throw new Malformed(`school ${s.id} appears twice`);
    schoolIds.add(s.id);
    if (integer(s.capacity, `schools[${i}].capacity`) < 0) throw new Malformed(`schools[${i}].capacity is negative`);
    return s;
  });
  const applicantIds = new Map();
  const applicants = list(b.applicants, "applicants").map((a, i) => {
    const here = `applicants[${i}]`;
    need(a, ["id", "choices", "priority"], here);
    framedText(a.id, `${here}.id`);
    if (applicantIds.has(a.id)) throw new Malformed(`applicant ${a.id} appears twice`);
    applicantIds.set(a.id, i);
    const seen = new Set();
    for (const s of list(a.choices, `${here}.choices`)) {
      if (typeof s !== "string" || !schoolIds.has(s)) throw new Malformed(`${here}: a choice names no school`);
      if (seen.has(s)) throw new Malformed(`${here}: a school appears twice in the choices`);
      seen.add(s);
    }
    if (!isObject(a.priority)) throw new Malformed(`${here}.priority: an object expected`);
    for (const [s, p] of Object.entries(a.priority)) {
      if (!schoolIds.has(s)) throw new Malformed(`${here}: a priority names no school`);
      integer(p, `${here}.priority`);
    }
    for (const s of a.choices) if (!(s in a.priority)) throw new Malformed(`${here}: a chosen school has no priority`);
    return a;
  });
  const rows = list(b.assignments, "assignments");
  if (rows.length !== applicants.length) throw new Malformed("assignments must name each applicant exactly once");
  const statedSchool = new Array(applicants.length), statedTicket = new Array(applicants.length);
  const named = new Array(applicants.length).fill(false);
  rows.forEach((r, i) => {
    need(r, ["applicant", "school", "ticket"], `assignments[${i}]`);
    const at = typeof r.applicant === "string" ? applicantIds.get(r.applicant) : undefined;
    if (at === undefined || named[at]) throw new Malformed("assignments must name each applicant exactly once");
    named[at] = true;
    if (r.school !== null && (typeof r.school !== "string" || !schoolIds.has(r.school))) {
      throw new Malformed(`assignments[${i}]: assigned school names no school`);
    }
    statedSchool[at] = r.school;
    statedTicket[at] = fromHex(r.ticket, `assignments[${i}].ticket`, 32);
  });
  const signers = new Set();
  const signatures = list(b.signatures, "signatures").map((s, i) => {
    need(s, ["signer", "public_key", "signature"], `signatures[${i}]`);
    if (typeof s.signer !== "string" || !s.signer) throw new Malformed(`signatures[${i}].signer: non-empty text expected`);
    if (signers.has(s.signer)) throw new Malformed(`signer ${s.signer} appears twice`);
    signers.add(s.signer);
    return { signer: s.signer, publicKey: fromHex(s.public_key, `signatures[${i}].public_key`, 32),
      signature: fromHex(s.signature, `signatures[${i}].signature`, 64) };
  });
  return { drawId, mechanism, root, seed, contributions, schools, applicants, statedSchool, statedTicket, signatures };
}

// --- §14 signatures --------------------------------------------------------------------------

export async function bundleDigest(bundle) {
  const body = {};
  for (const k of Object.keys(bundle)) if (k !== "signatures") body[k] = bundle[k];
  return taggedHash("paiwei/v1/bundle", utf8(jcs(body)));
}

export async function ed25519Valid(publicKey, signature, message) {
  let key;
  try {
    key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (err) {
    if (err && err.name === "NotSupportedError") throw new Error("这个浏览器不支持 Ed25519（Web Crypto），无法核验签名");
    return false;  // not a valid public key
  }
  try {
    return await subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return false;
  }
}

// --- §17 the verifier ------------------------------------------------------------------------

// trusted: Map name -> public key hex (lowercase). onProgress(fraction, words).
export async function verifyBundle(bundle, trusted = null, onProgress = () => {}) {
  const p = shape(bundle);  // 0. (throws Malformed)
  const checks = [];
  const add = (name, ok, detail = "") => checks.push({ name, ok, detail });
  const n = p.applicants.length;

  // 1. input root
  onProgress(0.02, "计算学校记录的默克尔根");
  const schoolsRoot = await merkleRoot(await leafHashes(p.schools));
  const applicantLeaves = await leafHashes(p.applicants, (f) => onProgress(0.05 + 0.3 * f, "计算申请人记录的哈希"));
  const applicantsRoot = await merkleRoot(applicantLeaves);
  const root = await inputRoot(p.drawId, schoolsRoot, applicantsRoot);
  add("input root", equalBytes(root, p.root),
    equalBytes(root, p.root) ? "" : `records give ${toHex(root)}, bundle states ${toHex(p.root)}`);

  // 2. commitment of NAME
  for (const c of p.contributions) {
    if (c.nonce !== null) {
      const expected = await commitment(p.drawId, c.contributor, c.nonce, c.value);
      const ok = equalBytes(expected, c.commitment);
      add(`commitment of ${c.contributor}`, ok, ok ? "" : "the revealed value and nonce do not open it");
    }
  }

  // 3. seed
  if (p.contributions.length) {
    const seed = await deriveSeed(p.drawId, p.root, p.contributions);
    const ok = equalBytes(seed, p.seed);
    add("seed", ok, ok ? "" : `contributions give ${toHex(seed)}, bundle states ${toHex(p.seed)}`);
  } else {
    add("seed", false, "no contribution: the seed would be predictable");
  }

  // 4. tickets, from the stated seed
  const ids = p.applicants.map((a) => a.id);
  const computed = await tickets(p.seed, ids, (f) => onProgress(0.35 + 0.45 * f, "重新计算每个派位号"));
  let wrongTickets = 0;
  for (let i = 0; i < n; i++) if (!equalBytes(computed[i], p.statedTicket[i])) wrongTickets++;
  add("tickets", wrongTickets === 0, wrongTickets ? `${wrongTickets} tickets differ` : `${n} tickets`);

  // 5. assignments
  onProgress(0.82, "按派位方式重新录取");
  const rank = lotteryRanks(computed, ids.map(utf8));
  const run = p.mechanism === "preference-first" ? preferenceFirst : deferredAcceptance;
  const placed = run(p.schools, p.applicants, rank);
  let wrong = 0;
  for (let i = 0; i < n; i++) if (placed[i] !== p.statedSchool[i]) wrong++;
  add("assignments", wrong === 0,
    wrong ? `${wrong} assignments differ under ${p.mechanism}` : `${n} assignments under ${p.mechanism}`);

  // 6. school results
  if (Object.prototype.hasOwnProperty.call(bundle, "school_results")) {
    onProgress(0.9, "核对各校汇总");
    let ok;
    try {
      ok = jcs(bundle.school_results) === jcs(schoolResults(p.schools, p.applicants, placed, computed));
    } catch {
      ok = false;
    }
    add("school results", ok, ok ? "" : "per-school summary differs");
  }

  // 7. signatures
  onProgress(0.95, "核验签名");
  const digest = await bundleDigest(bundle);
  if (p.signatures.length === 0) add("signatures", false, "the bundle carries no signature");
  // Only keys the caller trusts count (docs/draw-spec.md §17, issue 19): a signer not named
  // is listed as not checked, never a failure; trusting no key at all is never valid.
  const hasTrust = Boolean(trusted && trusted.size);
  const notChecked = [];
  for (const s of p.signatures) {
    const ok = await ed25519Valid(s.publicKey, s.signature, digest);
    if (!hasTrust || !trusted.has(s.signer)) {
      notChecked.push({ signer: s.signer, public_key: toHex(s.publicKey), verifies_with_own_key: ok });
      continue;
    }
    add(`signature of ${s.signer}`, ok, ok ? "" : "does not verify with its public key");
    if (trusted.get(s.signer) !== toHex(s.publicKey)) {
      add(`key not trusted: ${s.signer}`, false, "public key differs from the trusted key");
    }
  }
  if (hasTrust) {
    const signed = new Set(p.signatures.map((s) => s.signer));
    for (const name of trusted.keys()) if (!signed.has(name)) add(`missing signature of ${name}`, false, "");
  } else {
    add("trusted signature", false, "no signature was checked against a trusted key");
  }
  onProgress(1, "完成");
  return {
    valid: checks.every((c) => c.ok), format: FORMAT, draw_id: p.drawId, mechanism: p.mechanism,
    rehearsal: p.drawId.startsWith("rehearsal/"), schools: p.schools.length, applicants: n,
    placed: placed.filter((s) => s !== null).length, signers: p.signatures.map((s) => s.signer),
    not_checked: notChecked, checks,
  };
}

// The freeze statement (paiwei-freeze/1, published at the freeze, signed by the district over
// TH("paiwei/v1/freeze", JCS(statement without "signature"))) against a bundle: its signature
// (and the trusted key of its signer, when given), its draw id and input root, and the
// commitments published before the freeze against the bundle's committed contributions.
export async function verifyFreezeStatement(statement, bundle, trusted = null) {
  const checks = [];
  const add = (name, ok, detail = "") => checks.push({ name, ok, detail });
  let signed = false, detail = "";
  try {
    const sig = statement.signature;
    const body = {};
    for (const k of Object.keys(statement)) if (k !== "signature") body[k] = statement[k];
    const digest = await taggedHash("paiwei/v1/freeze", utf8(jcs(body)));
    signed = await ed25519Valid(fromHex(sig.public_key, "public_key", 32), fromHex(sig.signature, "signature", 64), digest);
    if (!signed) detail = "does not verify with its public key";
    if (signed && trusted && trusted.size) {
      const expected = trusted.get(sig.signer);
      if (expected !== undefined && expected !== sig.public_key) { signed = false; detail = "signed with another key than the trusted one"; }
    }
  } catch (err) {
    signed = false;
    detail = `unreadable: ${err.message || err}`;
  }
  add("freeze statement signature", signed, detail);
  const same = statement.draw_id === bundle.draw_id && statement.input_root === (bundle.ceremony || {}).input_root;
  add("freeze statement input root", same, same ? "" : "the statement names another draw or input root");
  const published = new Map((statement.commitments || []).map((c) => [c.contributor, c.commitment]));
  const inBundle = ((bundle.ceremony || {}).contributions || []).filter((c) => "commitment" in c);
  const missing = inBundle.filter((c) => published.get(c.contributor) !== c.commitment).map((c) => c.contributor);
  const unopened = [...published.keys()].filter((name) => !inBundle.some((c) => c.contributor === name));
  // A commitment published but not opened (a waived contributor) is reported, not failed:
  // the protocol leaves a missing opening to the ceremony's procedure (draw-spec §8).
  const ok = missing.length === 0;
  add("freeze statement commitments", ok, [
    missing.length ? `not published before the freeze: ${missing.join(", ")}` : "",
    unopened.length ? `published but not opened in the bundle: ${unopened.join(", ")}` : ""].filter(Boolean).join("; "));
  return checks;
}
