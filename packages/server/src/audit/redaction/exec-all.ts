/**
 * The matches of a global regular expression. String#matchAll clones the expression on every call, which
 * costs more than scanning a typical short argument; reusing it is safe because detectors run to
 * completion synchronously, so nothing else moves its lastIndex in between.
 */
export function execAll(regex: RegExp, text: string): RegExpExecArray[] {
  const found: RegExpExecArray[] = [];
  regex.lastIndex = 0;
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    found.push(match);
    if (match[0] === '') regex.lastIndex++;
  }
  return found;
}
