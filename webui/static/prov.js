// Provenance records of what the page draws: each mark, point and number
// carries data-prov, an index into a Registry, and a click shows the record
// (the source file and record, or the inputs a computed value read).

export class Registry {
  constructor() { this.items = []; }
  // add stores { title, rows: [[label, value]], refs: [{ label, ref }] } and
  // returns its index.
  add(p) { this.items.push(p); return this.items.length - 1; }
  get(i) { return this.items[i]; }
}
