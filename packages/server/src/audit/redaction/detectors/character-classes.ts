/**
 * How many of lower case, upper case and digits a token mixes. Generated keys and tokens mix them; words
 * and hyphenated prose ("sk-learn-compatible", "Bearer Authentication") do not. An upper-case first letter
 * does not count, since capitalised words have one.
 */
export function characterClassCount(token: string): number {
  let lower = false;
  let upper = false;
  let digit = false;
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code >= 97 && code <= 122) lower = true;
    else if (code >= 65 && code <= 90) upper ||= i > 0;
    else if (code >= 48 && code <= 57) digit = true;
  }
  return Number(lower) + Number(upper) + Number(digit);
}
