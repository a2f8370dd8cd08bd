// /verify/ticket: the ticket from the query's draw_id, seed and applicant, computed here
// with Web Crypto (docs/draw-spec.md §10) and shown in #ticket.
import { Malformed, framedText, fromHex, ticket, toHex } from "./protocol.js";

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

show();
