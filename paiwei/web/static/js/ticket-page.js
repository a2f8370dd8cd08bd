// /verify/ticket: the ticket from the query's draw_id, seed and applicant, computed here
// with Web Crypto (docs/draw-spec.md §10) and shown in #ticket.
import { Malformed, compareBytes, framedText, fromHex, parseStrict, ticket, toHex, utf8 } from "./protocol.js";

const out = document.getElementById("ticket");
const note = document.getElementById("ticket-note");

async function show() {
  const q = new URLSearchParams(location.search);
  const drawId = q.get("draw_id") || "", seed = (q.get("seed") || "").trim(), applicant = q.get("applicant") || "";
  if (!seed || !applicant) return;
  try {
    framedText(applicant, "派位编号");
    const value = await ticket(fromHex(seed, "随机种子", 32), applicant);
    out.textContent = toHex(value);
    out.dataset.state = "done";
    note.textContent = `派位批次 ${drawId || "（未填写）"}：这是用公示的随机种子和派位编号在本机计算的派位号，应与公示数据和结果页中的派位号一致。`;
  } catch (err) {
    out.textContent = "";
    out.dataset.state = "error";
    note.textContent = err instanceof Malformed ? "随机种子应为 64 位小写十六进制，派位编号不能为空。" : String(err.message || err);
  }
}

// Where the applicant stands at each school it listed: among everyone who listed that
// school, ordered by (priority there, ticket, id), as the mechanisms rank (draw-spec §11).
async function standing() {
  const file = document.getElementById("ticket-bundle").files[0];
  const note = document.getElementById("standing-note");
  const table = document.getElementById("standing");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  table.hidden = true;
  if (!file) return;
  const applicant = new URLSearchParams(location.search).get("applicant") || "";
  try {
    const b = parseStrict(await file.text()).value;
    const me = b.applicants.find((a) => a.id === applicant);
    if (!me) { note.textContent = "这份派位数据中没有这个派位编号。"; return; }
    const seed = fromHex(b.ceremony.seed, "seed", 32);
    const mine = await ticket(seed, applicant);
    const stated = new Map(b.assignments.map((a) => [a.applicant, a]));
    note.textContent = toHex(mine) === stated.get(applicant).ticket
      ? "派位号与公示数据一致。" : "注意：计算出的派位号与公示数据不一致！";
    const names = new Map(b.schools.map((s) => [s.id, s]));
    const ticketOf = (a) => fromHex(stated.get(a.id).ticket, "ticket", 32);
    me.choices.forEach((s, k) => {
      const listed = b.applicants.filter((a) => a.choices.includes(s));
      listed.sort((x, y) => (x.priority[s] - y.priority[s]) || compareBytes(ticketOf(x), ticketOf(y))
        || compareBytes(utf8(x.id), utf8(y.id)));
      const row = document.createElement("tr");
      const placed = stated.get(applicant).school;
      const cells = [`第 ${k + 1} 志愿`, names.get(s).name || s,
        `${listed.findIndex((a) => a.id === applicant) + 1} / ${listed.length}`,
        String(names.get(s).capacity), placed === s ? "录取" : ""];
      for (const text of cells) { const td = document.createElement("td"); td.textContent = text; row.append(td); }
      body.append(row);
    });
    table.hidden = false;
  } catch (err) {
    note.textContent = err instanceof Malformed || err instanceof SyntaxError
      ? "文件不是合格的派位数据。" : String(err.message || err);
  }
}

show();
document.getElementById("ticket-bundle").addEventListener("change", standing);
