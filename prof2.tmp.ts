import { createPool } from './db/pool';
import { timed, walk } from './bench/audience';
import { parseSegment } from './segments/segment';
import { audiencePages } from './segments/audience';
import { previewCampaign } from './campaigns/preview';
import { decideBatch } from './campaigns/decide-batch';
import { readHistories } from './activities/history';
import { loadProfiles } from './db/contacts/profile';
import { decideSend, loadRuleSet } from './rules';
const pool = createPool('postgres://postgres@127.0.0.1:5432/cf_seg_prof', 3);
const rs = loadRuleSet('rules');
const seg = parseSegment(JSON.stringify({ id: 'x', where: { all: [{ date: 'created_at', olderThan: '7 days' }, { not: { birthday: 'today' } }] } }));
const at = new Date(Date.now() + 30 * 86400000);
const msg = { channel: 'email', type: 'campaign', resource: 'shop', category: 'promo' } as const;
await walk(pool, () => undefined);
for (let round = 0; round < 2; round++) {
console.log('walk', (await timed(() => walk(pool, () => undefined))).seconds.toFixed(2));
console.log('pages', (await timed(async () => { for await (const p of audiencePages(pool, seg, at, 2000)) void p; })).seconds.toFixed(2));
let tl = 0, th = 0, td = 0;
console.log('pages+parts', (await timed(async () => { for await (const p of audiencePages(pool, seg, at, 2000)) {
  let t = performance.now(); const prof = await loadProfiles(pool, p); tl += performance.now() - t;
  t = performance.now(); const h = await readHistories(pool, rs, p, at); th += performance.now() - t;
  t = performance.now(); for (const c of prof.values()) decideSend(rs, { contact: c, message: msg, at, history: h.get(c.id!) }); td += performance.now() - t;
} })).seconds.toFixed(2), 'load', (tl/1000).toFixed(2), 'hist', (th/1000).toFixed(2), 'decide', (td/1000).toFixed(2));
console.log('decideBatch seq', (await timed(async () => { for await (const p of audiencePages(pool, seg, at, 2000)) await decideBatch(pool, rs, p, msg, at); })).seconds.toFixed(2));
console.log('preview', (await timed(() => previewCampaign(pool, rs, seg, msg, at))).seconds.toFixed(2));
console.log('preview inflight3', (await timed(() => previewCampaign(pool, rs, seg, msg, at, { inFlight: 3 }))).seconds.toFixed(2));
console.log('preview 5000', (await timed(() => previewCampaign(pool, rs, seg, msg, at, { pageSize: 5000 }))).seconds.toFixed(2));
}
await pool.end();
