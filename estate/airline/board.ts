/** The pages an airline service answers at `GET /`: what a person opening the address in a browser sees. */

/** The departures flight-status shows. Fixed: the service keeps no data, so a failover has nothing to lose. */
export const FLIGHT_BOARD: readonly { flight: string; destination: string; departs: string; gate: string; status: string }[] = [
  { flight: 'LB101', destination: 'Atlanta', departs: '07:15', gate: 'A3', status: 'On time' },
  { flight: 'LB214', destination: 'Minneapolis', departs: '08:40', gate: 'B7', status: 'Boarding' },
  { flight: 'LB322', destination: 'Salt Lake City', departs: '09:05', gate: 'A9', status: 'Delayed 25 min' },
  { flight: 'LB458', destination: 'Detroit', departs: '10:30', gate: 'C2', status: 'On time' },
  { flight: 'LB571', destination: 'Seattle', departs: '11:50', gate: 'B1', status: 'Cancelled' },
  { flight: 'LB690', destination: 'New York JFK', departs: '13:20', gate: 'C6', status: 'On time' },
];

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

/** flight-status's departures board. */
export function flightBoardPage(region: string): string {
  const rows = FLIGHT_BOARD.map(
    (f) =>
      `<tr><td>${escapeHtml(f.flight)}</td><td>${escapeHtml(f.destination)}</td><td>${escapeHtml(f.departs)}</td><td>${escapeHtml(f.gate)}</td><td>${escapeHtml(f.status)}</td></tr>`,
  ).join('\n');
  return page(
    `Departures (region ${region})`,
    `<table>
<thead><tr><th>Flight</th><th>To</th><th>Departs</th><th>Gate</th><th>Status</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`,
  );
}

/** Any other service's page: which service and region answered, and its mode (no database call, so it stays cheap). */
export function statusPage(service: string, region: string, mode: string, stateless: boolean): string {
  return page(
    `${service} (region ${region})`,
    `<p>mode: ${escapeHtml(mode)}</p>
<p>${stateless ? 'keeps no data' : 'records: <code>POST /records</code>, <code>POST /records/lookup</code>'}; health: <a href="/health">/health</a></p>`,
  );
}
