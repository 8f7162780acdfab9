/**
 * Hides secrets in text meant for people (log lines, error messages): the password of every URL
 * with credentials (`scheme://user:password@host` -> `scheme://user:***@host`) and the value of
 * query parameters that carry one (`password`, `token`, `secret`, `key`).
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]*):([^\s/@]+)@/gi, '$1$2:***@')
    .replace(/([?&](?:password|passwd|pwd|token|secret|key)=)[^&\s#]*/gi, '$1***');
}
