//! How a plan changed because of a rules edit: what `crewsync watch` prints after each save,
//! so an integrator sees the effect of a change on real rosters before running it.

use crate::model::{Field, MasterItem};
use crate::plan::{Assigned, Plan, Problem, Row, Status};
use std::collections::BTreeMap;
use std::fmt;

/// One difference for one employee between the plan before and after an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaChange {
    /// Now left out (reason, and the rule that said so).
    Excluded {
        reason: String,
        from: String,
    },
    /// No longer left out.
    Included,
    /// The row's status changed; when it is now invalid, why (one fact, one line: the
    /// problems of a row that became or stopped being invalid are not a second line).
    Status {
        old: Status,
        new: Status,
        problems: Vec<Problem>,
    },
    Office {
        old: Option<String>,
        new: Option<String>,
    },
    EmploymentType {
        old: Option<String>,
        new: Option<String>,
    },
    /// The value that would be written for a field.
    Field {
        field: Field,
        old: Option<String>,
        new: Option<String>,
    },
    Selected {
        old: bool,
        new: bool,
    },
    /// The reasons a row is invalid changed (a rule now fails, or fails differently).
    Problems {
        old: Vec<Problem>,
        new: Vec<Problem>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaLine {
    pub code: Option<String>,
    pub name: String,
    pub change: DeltaChange,
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(none)")
}

/// One line of `crewsync watch` output. Record text in it is made
/// [`safe`](crate::text::safe) (a code [`exact`](crate::text::exact)), so a name cannot drive
/// the terminal.
impl fmt::Display for DeltaLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.said(crate::error::Wording::OWN))
    }
}

impl DeltaLine {
    /// The line, a problem's advice in `words` (the plan's, [`Plan::words`]).
    pub fn said(&self, words: crate::error::Wording) -> String {
        let code = self
            .code
            .as_deref()
            .map_or("(no code)".into(), crate::text::exact);
        let what = match &self.change {
            DeltaChange::Excluded { reason, from } => format!("now left out: {reason} ({from})"),
            DeltaChange::Included => "no longer left out".to_string(),
            DeltaChange::Status { old, new, problems } if problems.is_empty() => {
                format!("status {} → {}", old.as_str(), new.as_str())
            }
            DeltaChange::Status { old, new, problems } => format!(
                "status {} → {}: {}",
                old.as_str(),
                new.as_str(),
                crate::plan::problems_text(problems, words)
            ),
            DeltaChange::Office { old, new } => format!("office {} → {}", opt(old), opt(new)),
            DeltaChange::EmploymentType { old, new } => {
                format!("employment type {} → {}", opt(old), opt(new))
            }
            DeltaChange::Field { field, old, new } => {
                let (old, new) = (opt(old), opt(new));
                // Two values a person would read as the same show what differs, as the table
                // does (`render::plan::change`).
                if crate::text::look_alike(old, new) {
                    let shown = crate::text::exact_width;
                    format!("{field} {} → {}", shown(old), shown(new))
                } else {
                    format!("{field} {old} → {new}")
                }
            }
            DeltaChange::Selected { old, new } => match (old, new) {
                (false, true) => "now selected",
                _ => "no longer selected",
            }
            .to_string(),
            DeltaChange::Problems { new, .. } if new.is_empty() => "no longer invalid".to_string(),
            DeltaChange::Problems { new, .. } => {
                format!("invalid: {}", crate::plan::problems_text(new, words))
            }
        };
        let line = format!("{code} {}: {what}", self.name);
        crate::text::safe(&line).into_owned()
    }
}

/// The delta as text, one line per difference, or a line saying there is none; advice in
/// `words` (the plan's).
pub fn render_delta(lines: &[DeltaLine], words: crate::error::Wording) -> String {
    if lines.is_empty() {
        return "the plan is unchanged by this edit".to_string();
    }
    lines
        .iter()
        .map(|line| line.said(words))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rows are matched by employee code (by name when a row has none).
fn key(code: &Option<String>, name: &str) -> String {
    code.clone().unwrap_or_else(|| format!("\u{0}{name}"))
}

/// Each row's key in `plan`: its [`key`], and for a code that several rows share (a
/// duplicated code, an invalid row) the name too, so that the rows sharing it are not all
/// compared with the last of them. A unique code alone matches a row whose name a rule changed.
fn row_keys(plan: &Plan) -> Vec<String> {
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for r in &plan.rows {
        *uses.entry(key(&r.code, &r.name)).or_default() += 1;
    }
    plan.rows
        .iter()
        .map(|r| {
            let k = key(&r.code, &r.name);
            if uses[&k] > 1 {
                format!("{k}\u{0}{}", r.name)
            } else {
                k
            }
        })
        .collect()
}

fn assigned(a: &Option<Assigned>) -> Option<String> {
    a.as_ref().map(|a| describe(&a.item, &a.from))
}

fn describe(item: &MasterItem, from: &str) -> String {
    if item.id == item.name {
        format!("{} ({from})", item.name)
    } else {
        format!("{} [{}] ({from})", item.name, item.id)
    }
}

/// The value the row would write for a field: the overridden source record when the plan
/// keeps it, else the `new` side of its change.
fn written(row: &Row, field: Field) -> Option<String> {
    match &row.source {
        Some(source) => source.get(field),
        None => row
            .changes
            .iter()
            .find(|c| c.field == field)
            .and_then(|c| c.new.clone()),
    }
}

/// Every difference a rules edit made, per employee, in the new plan's row order.
pub fn plan_delta(old: &Plan, new: &Plan) -> Vec<DeltaLine> {
    let old_rows: BTreeMap<String, &Row> = row_keys(old).into_iter().zip(&old.rows).collect();
    let old_excluded: BTreeMap<String, _> = old
        .excluded
        .iter()
        .map(|x| (key(&x.code, &x.name), x))
        .collect();

    let mut lines = Vec::new();
    for x in &new.excluded {
        if !old_excluded.contains_key(&key(&x.code, &x.name)) {
            lines.push(DeltaLine {
                code: x.code.clone(),
                name: x.name.clone(),
                change: DeltaChange::Excluded {
                    reason: x.reason.clone(),
                    from: x.from.clone(),
                },
            });
        }
    }
    for (k, row) in row_keys(new).into_iter().zip(&new.rows) {
        let mut push = |change| {
            lines.push(DeltaLine {
                code: row.code.clone(),
                name: row.name.clone(),
                change,
            })
        };
        let Some(before) = old_rows.get(&k) else {
            if old_excluded.contains_key(&key(&row.code, &row.name)) {
                push(DeltaChange::Included);
            }
            continue;
        };
        if before.status != row.status {
            push(DeltaChange::Status {
                old: before.status,
                new: row.status,
                problems: row.problems.clone(),
            });
        } else if before.problems != row.problems {
            push(DeltaChange::Problems {
                old: before.problems.clone(),
                new: row.problems.clone(),
            });
        }
        let (old_office, new_office) = (assigned(&before.office), assigned(&row.office));
        if old_office != new_office {
            push(DeltaChange::Office {
                old: old_office,
                new: new_office,
            });
        }
        let (old_type, new_type) = (
            assigned(&before.employment_type),
            assigned(&row.employment_type),
        );
        if old_type != new_type {
            push(DeltaChange::EmploymentType {
                old: old_type,
                new: new_type,
            });
        }
        for field in Field::SYNCED {
            let (old, new) = (written(before, field), written(row, field));
            if old != new {
                push(DeltaChange::Field { field, old, new });
            }
        }
        if before.selected != row.selected {
            push(DeltaChange::Selected {
                old: before.selected,
                new: row.selected,
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Direction;
    use crate::plan::Summary;

    fn row(code: &str, office: &str, selected: bool) -> Row {
        Row {
            code: Some(code.into()),
            status: Status::New,
            name: format!("社員{code}"),
            changes: Vec::new(),
            office: Some(Assigned {
                item: MasterItem {
                    id: office.into(),
                    name: office.into(),
                },
                from: "rules/offices.rhai:office".into(),
            }),
            employment_type: None,
            selected,
            selected_by: None,
            problems: Vec::new(),
            source: None,
            target_id: None,
            target_record: None,
            target_values: None,
        }
    }

    fn plan(rows: Vec<Row>) -> Plan {
        Plan {
            direction: Direction::SmartHrToKot,
            as_of: chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default(),
            rows,
            summary: Summary::default(),
            excluded: Vec::new(),
            rule_errors: Vec::new(),
            rule_warnings: Vec::new(),
            unreadable: Vec::new(),
            words: crate::error::Wording::OWN,
        }
    }

    #[test]
    fn a_row_that_becomes_or_stops_being_invalid_is_one_line() {
        let mut invalid = row("1", "本社", false);
        invalid.status = Status::Invalid;
        invalid.problems = vec![Problem::Undecided {
            field: Field::Office,
            target: crate::model::Service::Kot,
        }];
        let valid = row("1", "本社", false);

        let fixed = plan_delta(&plan(vec![invalid.clone()]), &plan(vec![valid.clone()]));
        let text = render_delta(&fixed, crate::error::Wording::OWN);
        assert_eq!(fixed.len(), 1, "{text}");
        assert_eq!(text, "1 社員1: status invalid → new");

        let broken = plan_delta(&plan(vec![valid]), &plan(vec![invalid.clone()]));
        let text = render_delta(&broken, crate::error::Wording::OWN);
        assert_eq!(broken.len(), 1, "{text}");
        assert!(
            text.starts_with("1 社員1: status new → invalid: "),
            "{text}"
        );
        assert!(text.contains("office"), "the reason is on the line: {text}");

        // Still invalid, for another reason: the reasons are the one fact.
        let mut other = invalid.clone();
        other.problems = vec![Problem::NoCode {
            source: crate::model::Service::SmartHr,
        }];
        let changed = plan_delta(&plan(vec![invalid]), &plan(vec![other]));
        let text = render_delta(&changed, crate::error::Wording::OWN);
        assert_eq!(changed.len(), 1, "{text}");
        assert!(text.starts_with("1 社員1: invalid: "), "{text}");
    }

    #[test]
    fn reports_only_rows_whose_decisions_changed() {
        let old = plan(vec![row("1", "本社", true), row("2", "本社", true)]);
        let mut new = plan(vec![row("1", "大阪支社", true), row("2", "本社", false)]);
        new.excluded.push(crate::plan::Excluded {
            code: Some("3".into()),
            name: "社員3".into(),
            reason: "test account".into(),
            from: "rules/scope.rhai:exclude".into(),
        });

        let lines = plan_delta(&old, &new);
        let text = render_delta(&lines, crate::error::Wording::OWN);
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            text.contains("3 社員3: now left out: test account"),
            "{text}"
        );
        assert!(
            text.contains("1 社員1: office 本社 (rules/offices.rhai:office) → 大阪支社"),
            "{text}"
        );
        assert!(text.contains("2 社員2: no longer selected"), "{text}");
        // What `watch` prints after a save, whole.
        insta::assert_snapshot!("watch_delta", text);
        assert_eq!(
            render_delta(&plan_delta(&old, &old), crate::error::Wording::OWN),
            "the plan is unchanged by this edit"
        );
    }

    /// Two source records with one code are compared each with itself, not both with the
    /// last of them: an unchanged plan showed their differences on every reload.
    #[test]
    fn record_text_in_a_delta_line_cannot_drive_the_terminal() {
        let hostile = "x\u{1b}[2K\r\u{202e}";
        let line = DeltaLine {
            code: Some("0001 ".into()),
            name: format!("山田{hostile}"),
            change: DeltaChange::Field {
                field: Field::LastName,
                old: Some(hostile.into()),
                new: None,
            },
        };
        assert_eq!(
            line.to_string(),
            "0001\\u{20} 山田x\\u{1b}[2K\\u{d}\\u{202e}: last_name x\\u{1b}[2K\\u{d}\\u{202e} → (none)"
        );
        let problems = DeltaLine {
            change: DeltaChange::Problems {
                old: Vec::new(),
                new: vec![format!("gender '{hostile}' is not accepted").into()],
            },
            ..line
        };
        assert!(
            !render_delta(&[problems], crate::error::Wording::OWN)
                .contains(['\u{1b}', '\r', '\u{202e}'])
        );
    }

    /// A rule's new value that differs only in what a person cannot see shows what differs.
    #[test]
    fn look_alike_values_in_a_delta_line_show_what_differs() {
        let line = |old: &str, new: &str| {
            DeltaLine {
                code: Some("0001".into()),
                name: "山田 花子".into(),
                change: DeltaChange::Field {
                    field: Field::FirstName,
                    old: Some(old.into()),
                    new: Some(new.into()),
                },
            }
            .to_string()
        };
        assert_eq!(
            line("花 子", "花\u{3000}子"),
            "0001 山田 花子: first_name 花 子 → 花\\u{3000}子"
        );
        assert_eq!(
            line("ﾊﾅｺ", "ハナコ"),
            "0001 山田 花子: first_name \\u{ff8a}\\u{ff85}\\u{ff7a} → ハナコ"
        );
        assert_eq!(
            line("花子", "華子"),
            "0001 山田 花子: first_name 花子 → 華子"
        );
    }

    #[test]
    fn rows_sharing_a_code_are_told_apart_by_name() {
        let shared = |name: &str, office: &str| Row {
            name: name.into(),
            ..row("7", office, true)
        };
        let old = plan(vec![
            shared("中村 修", "本社"),
            shared("石川 大輔", "大阪支社"),
        ]);
        assert_eq!(plan_delta(&old, &old), []);
        let new = plan(vec![shared("中村 修", "本社"), shared("石川 大輔", "本社")]);
        let text = render_delta(&plan_delta(&old, &new), crate::error::Wording::OWN);
        assert_eq!(
            text,
            "7 石川 大輔: office 大阪支社 (rules/offices.rhai:office) → 本社 \
             (rules/offices.rhai:office)"
        );
    }
}
