//! Running a straight [`Code`] (no loops, no calls of the script's own functions) for a batch
//! of employees at once: each node runs for every employee of the batch before the next node.
//!
//! One employee at a time, a rule spends most of its time going through the tree (choosing
//! what each node does, handing results and early exits up), not in what the nodes compute,
//! and it waits for each record's texts in turn. Over a batch, each node is chosen once and
//! its loop over the employees is short and regular, and the reads of different employees'
//! records overlap in the memory system.
//!
//! Each employee gets exactly what [`Code::run`] gives it: the same operations in the same
//! order for that employee (only the employees are interleaved, and they share nothing), and a
//! node that has no batch form here runs the one-employee evaluator for each employee. An
//! employee whose call ends early (a `return`, or something the fast path gives up on) is
//! dropped from the selection at the end of the statement; until then the values computed
//! for it are ignored.

use super::run::{self, Cx, Frame, Stop};
use super::*;
use crate::rules::convert;
use crate::rules::helpers::Tables;

/// Employees evaluated together: enough to share out each node's cost, few enough that their
/// records stay in cache from one node to the next.
pub(crate) const BATCH: usize = 256;

/// A value for each employee of the selection it was computed for, in its order.
type Col<'a> = Vec<Val<'a>>;

/// How one employee's call ended; `None` while it runs.
type Done<'a> = Option<Result<Val<'a>, Bail>>;

impl Code {
    /// [`Code::run`] for each of `subjects`, or `None` when the body is not straight or is too
    /// long to be sure that `run` would not give up on it for its length alone. An employee's
    /// `None` is a call the fast path gives up on.
    pub(crate) fn run_batch<'a>(
        &'a self,
        subjects: &'a [Subject<'a>],
        direction: &'static str,
        tables: &'a Tables,
        max_operations: u64,
    ) -> Option<Vec<Option<Val<'a>>>> {
        let budget = max_operations / 10;
        // `run` counts one step per statement, gives up past the budget and reads the clock
        // every 256 steps: a straight body shorter than both does neither.
        let statements = u64::try_from(self.straight?).ok()?;
        if statements > budget || statements >= 256 || subjects.len() > BATCH {
            return None;
        }
        let frames = subjects
            .iter()
            .map(|s| {
                let mut frame = run::unit_frame(self.slots);
                if let Some(slot) = frame.first_mut() {
                    *slot = Val::Subject(s);
                }
                if self.direction
                    && let Some(slot) = frame.get_mut(1)
                {
                    *slot = Val::Str(direction);
                }
                frame
            })
            .collect();
        let mut lanes = Lanes {
            subjects,
            tables,
            callees: &self.callees,
            budget,
            frames,
            done: std::iter::repeat_with(|| None).take(subjects.len()).collect(),
        };
        let mut sel: Vec<u32> = (0..subjects.len()).filter_map(|l| l.try_into().ok()).collect();
        let values = lanes.block(&self.body, &mut sel);
        for (lane, value) in sel.into_iter().zip(values) {
            lanes.finish(lane, Ok(value));
        }
        Some(lanes.done.into_iter().map(|d| d?.ok()).collect())
    }
}

struct Lanes<'a> {
    subjects: &'a [Subject<'a>],
    tables: &'a Tables,
    callees: &'a [Callee],
    budget: u64,
    /// Each employee's variables.
    frames: Vec<Frame<'a>>,
    done: Vec<Done<'a>>,
}

fn units<'a>(n: usize) -> Col<'a> {
    std::iter::repeat_with(|| Val::Unit).take(n).collect()
}

/// `f(position in sel, employee)` for each employee of `sel`; one that `f` gives up on is done
/// with [`Bail`] and gets `T::default()`.
fn each<'a, T: Default>(
    sel: &[u32],
    done: &mut [Done<'a>],
    mut f: impl FnMut(usize, usize) -> Result<T, Bail>,
) -> Vec<T> {
    sel.iter()
        .enumerate()
        .map(|(i, &lane)| {
            let lane = lane as usize;
            f(i, lane).unwrap_or_else(|Bail| {
                done[lane].get_or_insert(Err(Bail));
                T::default()
            })
        })
        .collect()
}

impl<'a> Lanes<'a> {
    /// Ends an employee's call, unless it has ended already.
    fn finish(&mut self, lane: u32, how: Result<Val<'a>, Bail>) {
        self.done[lane as usize].get_or_insert(how);
    }

    fn live(&self, lane: u32) -> bool {
        self.done[lane as usize].is_none()
    }

    /// Runs `stmts`, leaving in `sel` the employees still running.
    fn exec_all(&mut self, stmts: &'a [St], sel: &mut Vec<u32>) {
        for stmt in stmts {
            if sel.is_empty() {
                return;
            }
            self.exec(stmt, sel);
        }
    }

    fn exec(&mut self, stmt: &'a St, sel: &mut Vec<u32>) {
        match stmt {
            St::Expr(e) => {
                self.eval(e, sel);
            }
            St::Set(slot, e) => {
                let values = self.eval(e, sel);
                for (&lane, value) in sel.iter().zip(values) {
                    self.frames[lane as usize][*slot] = value;
                }
            }
            St::SetProp(slot, name, e) => {
                let values = self.eval(e, sel);
                for (&lane, value) in sel.iter().zip(values) {
                    if run::set_prop(&mut self.frames[lane as usize][*slot], name, value).is_err() {
                        self.finish(lane, Err(Bail));
                    }
                }
            }
            St::If(guard, then, otherwise) => {
                let (mut yes, mut no) = self.split(guard, sel);
                self.exec_all(then, &mut yes);
                self.exec_all(otherwise, &mut no);
            }
            St::Return(value) => {
                let values = match value {
                    Some(v) => self.eval(v, sel),
                    None => units(sel.len()),
                };
                for (&lane, value) in sel.iter().zip(values) {
                    self.finish(lane, Ok(value));
                }
            }
            // A straight body has none of these.
            St::For { .. } | St::While(..) | St::Break | St::Continue => {
                for &lane in sel.iter() {
                    self.finish(lane, Err(Bail));
                }
            }
        }
        sel.retain(|&lane| self.live(lane));
    }

    /// A block's value for each employee still running after it, who are left in `sel`.
    fn block(&mut self, stmts: &'a [St], sel: &mut Vec<u32>) -> Col<'a> {
        let Some((last, before)) = stmts.split_last() else {
            return units(sel.len());
        };
        self.exec_all(before, sel);
        if sel.is_empty() {
            return Vec::new();
        }
        match last {
            St::Expr(e) => {
                let values = self.eval(e, sel);
                let mut kept = Vec::with_capacity(values.len());
                let mut running = Vec::with_capacity(values.len());
                for (&lane, value) in sel.iter().zip(values) {
                    if self.live(lane) {
                        running.push(lane);
                        kept.push(value);
                    }
                }
                *sel = running;
                kept
            }
            St::If(guard, then, otherwise) => {
                let (mut yes, mut no) = self.split(guard, sel);
                let from_yes = self.block(then, &mut yes);
                let from_no = self.block(otherwise, &mut no);
                // Both parts are in the order of `sel`: merge them back into it.
                let mut yes = yes.into_iter().zip(from_yes).peekable();
                let mut no = no.into_iter().zip(from_no).peekable();
                let mut values = Vec::with_capacity(sel.len());
                sel.clear();
                loop {
                    let next = match (yes.peek(), no.peek()) {
                        (Some(a), Some(b)) if a.0 < b.0 => yes.next(),
                        (Some(_), Some(_)) | (None, _) => no.next(),
                        (Some(_), None) => yes.next(),
                    };
                    let Some((lane, value)) = next else { break };
                    sel.push(lane);
                    values.push(value);
                }
                values
            }
            other => {
                self.exec(other, sel);
                units(sel.len())
            }
        }
    }

    /// The employees of `sel` still running, split by `guard`.
    fn split(&mut self, guard: &'a Ex, sel: &[u32]) -> (Vec<u32>, Vec<u32>) {
        let truths = self.truth(guard, sel);
        let (mut yes, mut no) = (Vec::new(), Vec::new());
        for (&lane, truth) in sel.iter().zip(truths) {
            if self.live(lane) {
                if truth { &mut yes } else { &mut no }.push(lane);
            }
        }
        (yes, no)
    }

    /// The positions in `sel` of the employees still running, out of `positions`, and those
    /// employees.
    fn running(&self, sel: &[u32], positions: &mut Vec<usize>) -> Vec<u32> {
        positions.retain(|&p| self.live(sel[p]));
        positions.iter().map(|&p| sel[p]).collect()
    }

    fn truth(&mut self, ex: &'a Ex, sel: &[u32]) -> Vec<bool> {
        match ex {
            Ex::PropCompare(op, prop, value) => {
                let subjects = self.subjects;
                each(sel, &mut self.done, |_, lane| {
                    run::prop_compare(*op, *prop, value, &subjects[lane])
                })
            }
            Ex::Not(e) => {
                let mut truths = self.truth(e, sel);
                for t in &mut truths {
                    *t = !*t;
                }
                truths
            }
            Ex::And(items) => self.junction(items, sel, false),
            Ex::Or(items) => self.junction(items, sel, true),
            Ex::Compare(op, args) => match &**args {
                [Ex::Var(slot), Ex::Const(c)] => {
                    let frames = &self.frames;
                    each(sel, &mut self.done, |_, lane| {
                        run::var_const(*op, &frames[lane][*slot], c)
                    })
                }
                [a, b] => {
                    let a = self.eval(a, sel);
                    let b = self.eval(b, sel);
                    each(sel, &mut self.done, |i, _| run::compare(*op, &a[i], &b[i]))
                }
            },
            other => {
                let values = self.eval(other, sel);
                each(sel, &mut self.done, |i, _| values[i].as_bool().ok_or(Bail))
            }
        }
    }

    /// `&&` (decided by the first `false`) or `||` (by the first `true`): each part runs only
    /// for the employees it is still undecided for.
    fn junction(&mut self, items: &'a [Ex], sel: &[u32], decides: bool) -> Vec<bool> {
        let mut truths = vec![!decides; sel.len()];
        let mut positions: Vec<usize> = (0..sel.len()).collect();
        for item in items {
            let lanes = self.running(sel, &mut positions);
            if lanes.is_empty() {
                break;
            }
            let parts = self.truth(item, &lanes);
            positions = positions
                .into_iter()
                .zip(parts)
                .filter_map(|(p, part)| {
                    if part == decides {
                        truths[p] = decides;
                        None
                    } else {
                        Some(p)
                    }
                })
                .collect();
        }
        truths
    }

    fn eval(&mut self, ex: &'a Ex, sel: &[u32]) -> Col<'a> {
        let subjects = self.subjects;
        match ex {
            Ex::Const(c) => sel.iter().map(|_| c.val()).collect(),
            Ex::Var(slot) => sel
                .iter()
                .map(|&lane| self.frames[lane as usize][*slot].clone())
                .collect(),
            Ex::Take(slot) => sel
                .iter()
                .map(|&lane| std::mem::replace(&mut self.frames[lane as usize][*slot], Val::Unit))
                .collect(),
            Ex::Subject => sel
                .iter()
                .map(|&lane| Val::Subject(&subjects[lane as usize]))
                .collect(),
            Ex::Property(key) => sel
                .iter()
                .map(|&lane| run::property(&subjects[lane as usize], *key))
                .collect(),
            Ex::Master(key, name) => each(sel, &mut self.done, |_, lane| {
                let part = convert::master_part(subjects[lane].employee, *key, *name);
                part.map(Val::Str).ok_or(Bail)
            }),
            Ex::PropCompare(..) | Ex::Compare(..) | Ex::Not(_) | Ex::And(_) | Ex::Or(_) => {
                self.truth(ex, sel).into_iter().map(Val::Bool).collect()
            }
            Ex::Call(builtin, args) if args.len() == 1 => {
                let first = self.eval(&args[0], sel);
                let tables = self.tables;
                each(sel, &mut self.done, |i, _| {
                    run::call(*builtin, &first[i], &[], tables)
                })
            }
            // As on one employee, the argument is evaluated before the base.
            Ex::Method(base, builtin, args) if args.len() <= 1 => {
                let arg = args.first().map(|a| self.eval(a, sel));
                self.on(base, sel, |value, i, tables| {
                    let rest = arg.as_ref().map_or(&[][..], |a| std::slice::from_ref(&a[i]));
                    run::call(*builtin, value, rest, tables)
                })
            }
            Ex::Get(base, name) => self.on(base, sel, |value, _, _| run::prop(value, name)),
            Ex::Plus(args) => {
                let a = self.eval(&args[0], sel);
                let b = self.eval(&args[1], sel);
                each(sel, &mut self.done, |i, _| run::plus(&a[i], &b[i]))
            }
            Ex::Coalesce(items) => {
                let mut values = units(sel.len());
                let mut positions: Vec<usize> = (0..sel.len()).collect();
                for item in items {
                    let lanes = self.running(sel, &mut positions);
                    if lanes.is_empty() {
                        break;
                    }
                    let parts = self.eval(item, &lanes);
                    positions = positions
                        .into_iter()
                        .zip(parts)
                        .filter_map(|(p, part)| {
                            let unit = part.is_unit();
                            values[p] = part;
                            unit.then_some(p)
                        })
                        .collect();
                }
                values
            }
            Ex::Map(entries) => {
                let mut columns: Vec<_> = entries
                    .iter()
                    .map(|(_, e)| self.eval(e, sel).into_iter())
                    .collect();
                (0..sel.len())
                    .map(|_| {
                        let mut map: Vec<(&str, Val<'a>)> = Vec::with_capacity(entries.len());
                        for ((key, _), column) in entries.iter().zip(&mut columns) {
                            let value = column.next().unwrap_or(Val::Unit);
                            // Rhai keeps the last of a repeated key.
                            map.retain(|(k, _)| *k != key.as_str());
                            map.push((key.as_str(), value));
                        }
                        Val::Map(map)
                    })
                    .collect()
            }
            _ => self.one_by_one(ex, sel),
        }
    }

    /// `f` applied to the value of `base` for each employee, reading a variable in place.
    fn on<T: Default>(
        &mut self,
        base: &'a Ex,
        sel: &[u32],
        f: impl Fn(&Val<'a>, usize, &'a Tables) -> Result<T, Bail>,
    ) -> Vec<T> {
        let tables = self.tables;
        match base {
            Ex::Var(slot) => {
                let frames = &self.frames;
                each(sel, &mut self.done, |i, lane| {
                    f(&frames[lane][*slot], i, tables)
                })
            }
            base => {
                let values = self.eval(base, sel);
                each(sel, &mut self.done, |i, _| f(&values[i], i, tables))
            }
        }
    }

    /// The one-employee evaluator, for each employee in turn.
    fn one_by_one(&mut self, ex: &'a Ex, sel: &[u32]) -> Col<'a> {
        sel.iter()
            .map(|&lane| {
                let l = lane as usize;
                let mut cx = Cx {
                    frame: std::mem::take(&mut self.frames[l]),
                    subject: Some(&self.subjects[l]),
                    tables: self.tables,
                    callees: self.callees,
                    depth: 0,
                    steps: 0,
                    budget: self.budget,
                };
                let result = run::eval(ex, &mut cx);
                self.frames[l] = cx.frame;
                match result {
                    Ok(value) => value,
                    Err(stop) => {
                        self.finish(
                            lane,
                            match stop {
                                Stop::Return(value) => Ok(value),
                                Stop::Break | Stop::Continue | Stop::Bail => Err(Bail),
                            },
                        );
                        Val::Unit
                    }
                }
            })
            .collect()
    }
}
