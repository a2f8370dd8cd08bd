// /verify/bundle: verify a draw bundle entirely in the browser (protocol.js), then show
// VALID or INVALID in #verdict and every failed check in #failed-checks.
import { Malformed, parseStrict, verifyBundle, verifyFreezeStatement } from "./protocol.js";

const input = document.getElementById("bundle-file");
const keys = document.getElementById("trusted-keys");
const statementInput = document.getElementById("statement-file");
const STATEMENT_CHECK = "freeze statement";
const verdict = document.getElementById("verdict");
const failed = document.getElementById("failed-checks");
const all = document.getElementById("checks");
const progress = document.getElementById("progress");
const progressText = document.getElementById("progress-text");
const summary = document.getElementById("summary");
const serverVerdict = document.getElementById("server-verdict");
const serverFailed = document.getElementById("server-failed-checks");
const agreement = document.getElementById("agreement");

// The reference verifier's answer for the same bytes, shown beside ours.
async function askServer(bytes, local) {
  serverVerdict.textContent = "";
  serverVerdict.dataset.state = "running";
  serverFailed.replaceChildren();
  agreement.textContent = "";
  delete agreement.dataset.same;
  const query = new URLSearchParams();
  for (const [name, hex] of trustedKeys()) query.append("key", `${name}=${hex}`);
  let verdict, failedNames;
  try {
    const r = await fetch(`/api/verify/bundle?${query}`, { method: "POST", body: bytes, headers: { "content-type": "application/json" } });
    const answer = await r.json();
    if (r.ok) {
      verdict = answer.valid ? "VALID" : "INVALID";
      failedNames = answer.checks.filter((c) => !c.ok).map((c) => c.name);
    } else if (answer.code === "bundle_malformed") {
      verdict = "INVALID";
      failedNames = [`malformed bundle: ${answer.detail || ""}`];
    } else {
      serverVerdict.textContent = answer.title || "服务器未能核验";
      serverVerdict.dataset.state = "error";
      return;
    }
  } catch {
    serverVerdict.textContent = "无法连接服务器（浏览器中的核验不受影响）";
    serverVerdict.dataset.state = "error";
    return;
  }
  for (const name of failedNames) item(serverFailed, name, false);
  serverVerdict.textContent = verdict;
  serverVerdict.dataset.state = verdict === "VALID" ? "valid" : "invalid";
  const same = verdict === local.verdict && JSON.stringify(failedNames.map((n) => n.startsWith("malformed") ? "malformed" : n))
    === JSON.stringify(local.failed.map((n) => n.startsWith("malformed") ? "malformed" : n));
  agreement.textContent = same ? "两种实现结论一致。" : "两种实现结论不一致，请联系公证处和区教委核查。";
  agreement.dataset.same = same ? "yes" : "no";
}

function trustedKeys() {
  const map = new Map();
  for (const line of keys.value.split(/\n/)) {
    const t = line.trim();
    if (!t) continue;
    const at = t.indexOf("=");
    if (at > 0) map.set(t.slice(0, at).trim(), t.slice(at + 1).trim().toLowerCase());
  }
  return map;
}

function item(list, text, ok) {
  const li = document.createElement("li");
  const mark = document.createElement("span");
  mark.className = ok ? "ok-mark" : "fail-mark";
  mark.textContent = ok ? "通过 " : "未通过 ";
  li.append(mark, text);
  list.append(li);
}

function finish(valid) {
  verdict.textContent = valid ? "VALID" : "INVALID";
  verdict.dataset.state = valid ? "valid" : "invalid";
}

async function run() {
  const file = input.files && input.files[0];
  if (!file) return;
  verdict.textContent = "";
  verdict.dataset.state = "running";
  delete agreement.dataset.same;
  failed.replaceChildren();
  all.replaceChildren();
  summary.textContent = "";
  progress.value = 0;
  progressText.textContent = `读取文件（${(file.size / 1048576).toFixed(1)} MB）`;
  let report;
  const bytes = await file.arrayBuffer();
  try {
    const { value } = parseStrict(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Malformed("a bundle is a JSON object");
    report = await verifyBundle(value, trustedKeys(), (f, words) => {
      progress.value = Math.round(f * 100);
      progressText.textContent = `${words}（${Math.round(f * 100)}%）`;
    });
    const statementFile = statementInput.files && statementInput.files[0];
    if (statementFile) {
      const statement = parseStrict(await statementFile.text()).value;
      report.checks.push(...await verifyFreezeStatement(statement, value, trustedKeys()));
      report.valid = report.checks.every((c) => c.ok);
    }
  } catch (err) {
    const malformed = err instanceof Malformed || err instanceof SyntaxError || err instanceof TypeError;
    const reason = malformed ? `malformed bundle: ${err.message}` : String(err.message || err);
    item(failed, reason, false);
    progressText.textContent = malformed ? "文件不是合格的派位数据，无法核验。" : "核验未能完成。";
    finish(false);
    await askServer(bytes, { verdict: "INVALID", failed: [reason] });
    return;
  }
  for (const c of report.checks) {
    item(all, c.detail ? `${c.name}（${c.detail}）` : c.name, c.ok);
    if (!c.ok) item(failed, c.name, false);
  }
  summary.textContent = `${report.rehearsal ? "模拟派位（rehearsal, not a published draw）" : "派位"} ${report.draw_id}：`
    + `${report.schools} 所学校，${report.applicants} 名申请人，录取 ${report.placed} 人；签名方：${report.signers.join("、") || "无"}。`;
  progressText.textContent = "核验完成。";
  document.body.dataset.report = JSON.stringify(report);
  finish(report.valid);
  const protocol = report.checks.filter((c) => !c.name.startsWith(STATEMENT_CHECK));
  await askServer(bytes, { verdict: protocol.every((c) => c.ok) ? "VALID" : "INVALID",
    failed: protocol.filter((c) => !c.ok).map((c) => c.name) });
}

input.addEventListener("change", run);
statementInput.addEventListener("change", run);
keys.addEventListener("change", run);
