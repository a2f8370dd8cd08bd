// /me/record: the parent's record is in the frozen input root. Recomputed here from the
// record, its audit path and the schools, against the freeze statement fetched from its
// public address and checked with its Ed25519 signature (docs/draw-spec.md §6-§7).
import { compareBytes, ed25519Valid, fromHex, inputRoot, jcs, leafHashes, merkleRoot,
  rootFromPath, taggedHash, utf8 } from "./protocol.js";

async function check(box) {
  const proof = JSON.parse(box.dataset.proof);
  const out = box.querySelector("[data-check]");
  const say = (state, words) => { out.dataset.state = state; out.textContent = words; };
  try {
    const r = await fetch(`/api/rounds/${proof.round_pk}/freeze-statement`, { credentials: "omit" });
    if (!r.ok) return say("fail", "无法取得公示的冻结声明。");
    const statement = await r.json();
    const body = {};
    for (const k of Object.keys(statement)) if (k !== "signature") body[k] = statement[k];
    const digest = await taggedHash("paiwei/v1/freeze", utf8(jcs(body)));
    const signed = await ed25519Valid(fromHex(statement.signature.public_key, "public_key", 32),
      fromHex(statement.signature.signature, "signature", 64), digest);
    const leaf = await taggedHash("paiwei/v1/leaf", utf8(jcs(proof.record)));
    const applicantsRoot = await rootFromPath(leaf, proof.index, proof.size, proof.path.map((h) => fromHex(h, "path", 32)));
    const schoolsRoot = await merkleRoot(await leafHashes(proof.schools));
    const root = applicantsRoot && await inputRoot(statement.draw_id, schoolsRoot, applicantsRoot);
    const ok = signed && root !== null && statement.draw_id === proof.draw_id
      && compareBytes(root, fromHex(statement.input_root, "input_root", 32)) === 0;
    box.querySelector("[data-root]").textContent = statement.input_root;
    box.querySelector("[data-key]").textContent = statement.signature.public_key;
    say(ok ? "ok" : "fail", ok
      ? "已核验：您的记录和志愿包含在公示的输入根中，冻结声明的签名有效。"
      : "核验未通过：您的记录与公示的输入根不符，请联系区教委和公证处。");
  } catch (err) {
    say("fail", `核验未能完成：${err.message || err}`);
  }
}

document.querySelectorAll("[data-proof]").forEach(check);

