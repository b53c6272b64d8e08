// Memoization for keys a client chooses (an Origin header): the answers are remembered, but never more
// than `max` of them, so a flood of distinct keys cannot grow the map.

export function boundedMemo<T> (fn: (key: string) => T, max = 1000): (key: string) => T {
  const seen = new Map<string, T>()
  return (key) => {
    let value = seen.get(key)
    if (value === undefined) {
      value = fn(key)
      if (seen.size >= max) seen.clear()
      seen.set(key, value)
    }
    return value
  }
}
