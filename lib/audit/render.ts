import type { AuditedFinding, AuditReport, ServerReport, UserReport } from './report';

/** A secret's name from its ARN (without Secrets Manager's random suffix); anything else as it is. */
export const secretNameOf = (arn: string): string => {
  const match = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(arn);
  return match?.[1] ?? arn;
};

/** One finding in a cell: its kind and what was found first (`+n` for the rest). */
export function findingText(finding: AuditedFinding): string {
  const [first, ...rest] = finding.found;
  const what = first ? `: ${first}${rest.length ? ` (+${rest.length})` : ''}` : '';
  return `${finding.kind}${what}${finding.login === 'clone' ? ' [clone]' : ''}`;
}

function findingsCell(user: UserReport): string {
  const parts = user.findings.map(findingText);
  if (user.unchecked && user.unchecked !== 'rotating') parts.push(`database not checked: ${user.unchecked}`);
  if (user.unchecked === 'rotating') parts.push('rotating: database not checked');
  return parts.length ? parts.join('; ') : 'ok';
}

const cut = (text: string, width: number) =>
  width <= 0 ? '' : text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;

function header(server: ServerReport): string {
  const withFindings = server.users.filter((u) => u.findings.length > 0).length;
  const parts = [
    `${server.engine} ${server.host}:${server.port}`,
    ...(server.masterArn ? [`master ${secretNameOf(server.masterArn)}`] : []),
    count(server.users.length, 'user'),
    `${withFindings} with findings`,
    ...(server.durationMs !== undefined ? [`${(server.durationMs / 1000).toFixed(1)} s`] : []),
  ];
  return parts.join('  ');
}

/**
 * The report as text tables: one block per server (its header, a row per user, then its
 * server-wide findings), then warnings and a summary line. Every line fits `width`.
 */
export function renderTable(report: AuditReport, width = 120): string {
  const lines: string[] = [];
  for (const server of report.servers) {
    lines.push(cut(header(server), width));
    const rows = server.users.map((user) => {
      const late = user.findings.some((f) => f.kind === 'rotation-overdue');
      return [
        user.user ?? secretNameOf(user.secretArn),
        user.strategy ?? '-',
        user.lastRotated ? user.lastRotated.replace('T', ' ').replace(/Z$/, '') : '-',
        `${user.nextRotation ?? '-'}${late ? ' LATE' : ''}`,
        findingsCell(user),
      ];
    });
    const titles = ['USER', 'STRATEGY', 'LAST ROTATION', 'NEXT ROTATION', 'FINDINGS'];
    const widths = titles.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) =>
      cut(
        cells.map((cell, i) => (i < cells.length - 1 ? cell.padEnd(widths[i]! + 2) : cell)).join(''),
        width,
      );
    lines.push(line(titles), ...rows.map(line));
    for (const finding of server.findings)
      lines.push(cut(`(server) ${findingText(finding)}${finding.note ? ` — ${finding.note}` : ''}`, width));
    lines.push('');
  }
  for (const warning of report.warnings) lines.push(cut(`warning: ${warning}`, width));
  const { summary } = report;
  lines.push(
    cut(
      `${count(summary.secrets, 'secret')} on ${count(summary.servers, 'server')}, ${summary.checked} checked on the database; ` +
        `${count(summary.findings.open, 'finding')} (${summary.findings.new} new, ${summary.findings.changed} changed, ${summary.findings.resolved} resolved)` +
        `${report.complete ? '' : `; INCOMPLETE: ${summary.skipped.deadline} secrets not reached before the deadline`}`,
      width,
    ),
  );
  return lines.join('\n');
}

/** The report for scripts: the AuditReport itself, as JSON. */
export const renderJson = (report: AuditReport): string => JSON.stringify(report, null, 2);

/** `1 user`, `2 users`. */
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** The CLI's exit code: 0 clean, 1 findings (an unreachable server counts), 2 incomplete. */
export function exitCodeOf(report: AuditReport): 0 | 1 | 2 {
  if (!report.complete) return 2;
  return report.summary.findings.open > 0 ? 1 : 0;
}
