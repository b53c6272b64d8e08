// The memo behind origin checks and origin tags: right answers, each computed once, and a bounded map.
import t from 'tap'
import { boundedMemo } from '../../src/lib/bounded-memo.js'

t.test('answers as the function does, computes each key once, and forgets past the bound', async (t) => {
  const calls: string[] = []
  const memo = boundedMemo((key) => { calls.push(key); return key.length }, 3)
  t.same(['a', 'bb', 'a', 'bb'].map(memo), [1, 2, 1, 2])
  t.same(calls, ['a', 'bb'], 'repeated keys are not computed again')
  for (const key of ['ccc', 'dddd', 'eeeee']) memo(key)
  t.equal(memo('a'), 1, 'still right after the map was cleared')
  t.same(calls, ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'a'], 'cleared at the bound: the first key is computed again')
  t.equal(memo('eeeee'), 5)
  t.equal(calls.length, 6, 'the key kept after clearing is remembered')
})
