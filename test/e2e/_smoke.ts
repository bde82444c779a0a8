import { createHubProcess, localEndpoints, pullInbox } from './hub-process.ts';
import { whitlockIncident } from './whitlock.ts';
const hub = await createHubProcess(localEndpoints());
let t = Date.now();
await hub.start();
console.log('started in', Date.now() - t, hub.url);
t = Date.now();
const r = await hub.call('police', '/v1/domestic-abuse-incidents', { method: 'POST', body: JSON.stringify(whitlockIncident()) });
console.log(r.status, await r.text(), Date.now() - t);
for (let i = 0; i < 100; i++) {
  const { items } = await pullInbox(hub, 'gpVictim', 'gp:L85901');
  if (items.length >= 2) { console.log('got', items.length, 'after', Date.now() - t); break; }
  await new Promise((r) => setTimeout(r, 50));
}
t = Date.now();
await hub.kill();
console.log('killed', Date.now() - t);
t = Date.now();
await hub.start();
console.log('restarted in', Date.now() - t);
t = Date.now();
const r2 = await hub.call('police', '/v1/domestic-abuse-incidents', { method: 'POST', body: JSON.stringify(whitlockIncident()) });
console.log(r2.status, Date.now() - t);
for (let i = 0; i < 1200; i++) {
  const { items } = await pullInbox(hub, 'gpVictim', 'gp:L85901');
  if (items.length >= 4) { console.log('got', items.length, 'after restart', Date.now() - t); break; }
  await new Promise((r) => setTimeout(r, 100));
}
await hub.stop();
console.log(hub.output());
