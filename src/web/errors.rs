//! The error half of the dashboard's catalogue ([`super::i18n`]): every library error a page
//! can meet, said in the page's language from the error's own fields (the value, the place,
//! the suggestion), with what to do in the dashboard's terms. So a Japanese page never shows
//! the CLI's English sentence, and no page names a CLI flag.
//!
//! Errors that only the CLI can meet, and texts that are not crewsync's own (a server's or the
//! operating system's message), are shown after a sentence in the page's language.

use super::i18n::Lang;
use crate::config::ConfigError;
use crate::error::{BadDate, Input, Refused};
use crate::history::HistoryError;
use crate::http::{ApiError, ErrorKind};
use crate::plan::saved::SavedPlanError;
use crate::workflow::SyncError;

/// Any error a page shows, in one type: the library's own errors, each said here in the
/// page's language (where the CLI renders the same values through `anyhow`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Date(#[from] BadDate),
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::Sync(e.into())
    }
}

/// `e` as a person reads it on a page in `lang`. Plain text: the templates escape it.
pub fn text(lang: Lang, e: &Error) -> String {
    let ja = lang == Lang::Ja;
    let said = match e {
        Error::Date(d) if d.short_year() => ja.then(|| {
            format!(
                "「{}」は年が短く書かれています。年は4桁で、YYYY-MM-DDの形で入力してください（例: 2026-04-01）。",
                d.0
            )
        }),
        Error::Date(d) if d.out_of_range() => ja.then(|| {
            let (first, last) = (BadDate::RANGE.start(), BadDate::RANGE.end());
            format!(
                "「{}」は、crewsyncで扱える日付（{first}〜{last}）の範囲外です。情報取得基準日を確かめてください。",
                d.0
            )
        }),
        Error::Date(BadDate(value)) => ja.then(|| {
            format!("「{value}」は日付として読めません。YYYY-MM-DDの形で入力してください（例: 2026-04-01）。")
        }),
        Error::Refused(r) => Some(refused(ja, r)),
        Error::Sync(s) => sync(lang, s),
        Error::History(h) => history(ja, h),
    };
    said.unwrap_or_else(|| fallback(ja, e))
}

/// A kind without words of its own here (an error only the CLI meets, or one whose text is a
/// server's): a sentence in the page's language, then the message as it came.
fn fallback(ja: bool, e: &Error) -> String {
    if ja {
        format!("処理を続けられませんでした。詳細: {e}")
    } else {
        e.to_string()
    }
}

/// A reviewed plan refused at the sync: said with when it was fetched and the limit, and what
/// to do in the dashboard's terms (fetch again), never the CLI's.
fn plan(ja: bool, p: &SavedPlanError) -> String {
    let SavedPlanError::TooOld {
        made_at, age, max, ..
    } = p
    else {
        return if ja {
            format!("確認した内容では同期できません。詳細: {p}")
        } else {
            p.to_string()
        };
    };
    let at = made_at
        .with_timezone(&crate::clock::JST)
        .format("%Y-%m-%d %H:%M JST");
    if ja {
        format!(
            "この確認内容は{at}に取得したもので、{age:.1}時間たっています（上限 plan_max_age_hours: {max:.1}時間）。その後に変わった従業員がいるかもしれません。従業員情報をもう一度取得して、確認し直してください。"
        )
    } else {
        format!(
            "This review was fetched at {at} ({age:.1} hours ago), older than plan_max_age_hours allows ({max:.1} hours): much may have changed since. Fetch the employees again and review them anew."
        )
    }
}

fn refused(ja: bool, r: &Refused) -> String {
    match (r, ja) {
        (
            Refused::TooManyChanges {
                changes,
                limit,
                roster,
            },
            true,
        ) => format!(
            "{changes}件の変更は、連携の上限（max_changes: {roster}名中{limit}件）を超えます。連携方向と情報取得基準日を確かめてください。意図した変更であれば、コマンドラインから上限を超えて実行できます。"
        ),
        (Refused::TooManyChanges { .. }, false) => format!(
            "{r}. Check the direction and the reference date; if this is intended, the command line can be told to go ahead."
        ),
        (Refused::InsideWindow { inside, .. }, true) => format!(
            "KING OF TIMEはアクセス制限時間帯（{}）のため、従業員情報を扱えません。{}以降にもう一度実行してください。",
            inside.window,
            inside.reopens.format("%H:%M")
        ),
        (Refused::InsideWindow { inside, .. }, false) => format!(
            "{r}. Run again after {}.",
            inside.reopens.format("%H:%M JST")
        ),
        (_, true) => format!("同期を始められませんでした。詳細: {r}"),
        (_, false) => r.to_string(),
    }
}

fn sync(lang: Lang, s: &SyncError) -> Option<String> {
    let ja = lang == Lang::Ja;
    let t = lang.text();
    match s {
        SyncError::UnknownMaster {
            input,
            value,
            service,
            suggestion,
            ..
        } => {
            let term = match input {
                Input::EmploymentType => t.employment_type,
                _ => t.office,
            };
            let label = t.of(*service, term);
            let meant = suggestion.as_deref().map_or_else(String::new, |s| {
                if ja {
                    format!("「{s}」のことですか？")
                } else {
                    format!(" Did you mean '{s}'?")
                }
            });
            Some(if ja {
                format!("{label}「{value}」は{service}にありません。{meant}一覧から選んでください。")
            } else {
                format!("{label} '{value}' does not exist in {service}.{meant} Choose one from the list.")
            })
        }
        SyncError::EmploymentTypeNotForSmartHr => ja.then(|| {
            "雇用区分の既定値は、連携先がKING OF TIMEのときだけ使えます。SmartHRでは連携元の雇用区分のままになります。".to_string()
        }),
        SyncError::Config(c) => ja.then(|| config(c)).flatten(),
        SyncError::Api(a) => ja.then(|| api(a)),
        SyncError::History(h) => history(ja, h),
        SyncError::Refused(r) => Some(refused(ja, r)),
        SyncError::Rules { dir, source } => ja.then(|| {
            let mut out = format!(
                "ルールフォルダ {} に{}件の問題があります。直してから、もう一度お試しください。",
                dir.display(),
                source.problems.len()
            );
            for p in &source.problems {
                out.push('\n');
                out.push_str(&rule_problem(lang, p));
            }
            out
        }),
        SyncError::SavedPlan(p) => Some(plan(ja, p)),
        SyncError::Wait(_) => None,
    }
}

/// A configuration error as a page in `lang` says it (the dashboard's token checks).
pub fn config_text(lang: Lang, c: &ConfigError) -> String {
    match lang {
        Lang::Ja => config(c).unwrap_or_else(|| format!("設定に誤りがあります。詳細: {c}")),
        Lang::En => c.to_string(),
    }
}

/// A service's error as a page in `lang` says it: in Japanese the kind in Japanese and the
/// service's own message as it came, never the library's English around it.
pub fn api_text(lang: Lang, a: &ApiError) -> String {
    match lang {
        Lang::Ja => api(a),
        Lang::En => a.to_string(),
    }
}

/// One problem of a rules folder: where, then the message as the loader or the script engine
/// gave it (the source line under it is the CLI's).
pub fn rule_problem(lang: Lang, p: &crate::rules::Problem) -> String {
    match lang {
        Lang::Ja => format!("{}: {}", p.location(), p.message),
        Lang::En => p.to_string(),
    }
}

fn config(c: &ConfigError) -> Option<String> {
    match c {
        ConfigError::MissingToken { var, service } => Some(format!(
            "環境変数 {var} が設定されていません。{service}のアクセストークンを設定してから、crewsyncを起動し直してください（トークンは設定ファイルには書きません）。"
        )),
        ConfigError::EmptyToken { var, service } => Some(format!(
            "環境変数 {var} は設定されていますが空です。{service}のアクセストークンを設定してください。"
        )),
        ConfigError::NotTextToken { var, service } => Some(format!(
            "環境変数 {var} は設定されていますが、文字として読めません（UTF-8ではありません）。{service}のアクセストークンを設定し直してください。"
        )),
        ConfigError::BadToken {
            var,
            service,
            position,
            ..
        } => Some(format!(
            "環境変数 {var} に、{service}のアクセストークンにはない文字があります（{position}文字目）。改行などが貼り付けられていないか確かめてください。"
        )),
        _ => None,
    }
}

/// An API error in Japanese: what happened and what to check, with the service's (or the
/// network's) own message as it came, never the library's English sentence around it.
fn api(a: &ApiError) -> String {
    let s = a.service;
    // The service's words, after words of the page's language.
    let said = |m: &str| {
        if m.trim().is_empty() {
            String::new()
        } else {
            format!("（{s}のメッセージ: {m}）")
        }
    };
    match &a.kind {
        ErrorKind::Unauthorized { message } => format!(
            "{s}が認証を拒否しました{}。アクセストークンが正しいか確かめてください。",
            said(message)
        ),
        ErrorKind::Forbidden { message } => format!(
            "{s}がこの操作を許可しませんでした{}。アクセストークンの権限を確かめてください。",
            said(message)
        ),
        ErrorKind::AccessWindow { message } => format!(
            "KING OF TIMEはアクセス制限時間帯のため、従業員情報を扱えません{}。時間帯が終わってからもう一度実行してください。",
            said(message)
        ),
        ErrorKind::Unreachable { url, detail } => format!(
            "{s}（{url}）に接続できませんでした（詳細: {detail}）。ネットワークと設定のbase_urlを確かめてください。"
        ),
        ErrorKind::Timeout { url } => format!(
            "{s}（{url}）から応答を受け取れませんでした。時間をおいてもう一度実行してください。"
        ),
        ErrorKind::Interrupted { url, detail } => format!(
            "{s}（{url}）との接続が応答の前に切れました（詳細: {detail}）。反映されたかどうか分からないため、{s}で確かめてから、もう一度実行してください。"
        ),
        ErrorKind::RateLimited { message, .. } => format!(
            "{s}のリクエスト上限に達しました{}。時間をおいてもう一度実行してください。",
            said(message)
        ),
        ErrorKind::WrongBaseUrl { base_url, .. } => format!(
            "設定の{s} base_url（{base_url}）がWeb APIを指していません。設定を確かめてください。"
        ),
        ErrorKind::NotFound { message } => format!(
            "{s}に該当する記録がありません{}。社員番号と設定のbase_urlを確かめてください。",
            said(message)
        ),
        ErrorKind::Validation { message, details } => {
            let mut all = message.clone();
            for d in details {
                all.push_str("; ");
                all.push_str(d);
            }
            format!(
                "{s}がデータを受け付けませんでした{}。指摘された値を直してから、もう一度実行してください。",
                said(&all)
            )
        }
        ErrorKind::Server { status, message } => format!(
            "{s}でサーバーエラーが起きました（HTTP {status}）{}。メンテナンス中かもしれません。時間をおいてもう一度実行してください。",
            said(message)
        ),
        ErrorKind::UnexpectedStatus {
            status,
            body_excerpt,
        } => format!(
            "{s}が想定外の応答（HTTP {status}）を返しました{}。base_urlが{s}のWeb APIを指しているか確かめてください。",
            said(body_excerpt)
        ),
        ErrorKind::Malformed { detail } => format!(
            "{s}の応答を読み取れませんでした（詳細: {detail}）。base_urlが{s}のWeb APIを指しているか確かめてください。"
        ),
        ErrorKind::Config { detail } => {
            format!("{s}への接続の設定に誤りがあります（詳細: {detail}）。設定を確かめてください。")
        }
    }
}

fn history(ja: bool, h: &HistoryError) -> Option<String> {
    if !ja {
        return None;
    }
    match h {
        HistoryError::LockHeld { pid, since, .. } => {
            let who = match (pid, since) {
                (Some(pid), Some(since)) => format!(
                    "（pid {pid}、開始 {}）",
                    since
                        .with_timezone(&crate::clock::JST)
                        .format("%Y-%m-%d %H:%M JST")
                ),
                (Some(pid), None) => format!("（pid {pid}）"),
                _ => String::new(),
            };
            Some(format!(
                "別の同期が実行中です{who}。終わってから、もう一度実行してください。"
            ))
        }
        HistoryError::UnknownRun(id) => Some(format!("連携履歴に「{id}」の実行はありません。")),
        _ => None,
    }
}
