/** CSV for spreadsheets: RFC 4180 quoting, CRLF line ends, and no cell a spreadsheet runs as a formula. */

export function csvRow(cells: readonly (string | number | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  // Agents choose some of these values (tool arguments, on-behalf-of names); a leading = + - @ or a
  // control character would make a spreadsheet evaluate the cell (OWASP "CSV injection"). A leading
  // apostrophe keeps it text; the JSONL export is the faithful copy.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
