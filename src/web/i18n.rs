//! Every text the dashboard shows, in one catalogue: Japanese (the seed help article's own
//! terms) by default, English when the browser prefers it.
//!
//! A screen gets one [`Text`] and reads its fields, so a missing translation is a compile error
//! rather than a blank on a page.

use crate::model::{Direction, Field};
use crate::plan::Status;

/// The two languages of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// The language an `Accept-Language` header prefers among the two, Japanese when it
    /// prefers neither (the people who run this sync today use SmartHR in Japanese).
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.unwrap_or_default().split(',') {
            let mut bits = part.trim().split(';');
            let tag = bits.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "ja" || tag.starts_with("ja-") {
                Lang::Ja
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Ja, |(_, l)| l)
    }

    /// The catalogue for this language.
    pub fn text(self) -> &'static Text {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}

/// One language's texts. Phrases with a value in them are split around it (`*_before`,
/// `*_after`) so that templates escape the value and never build markup from text.
#[derive(Debug)]
pub struct Text {
    pub html_lang: &'static str,
    pub app: &'static str,
    pub dashboard: &'static str,
    pub start_sync: &'static str,
    pub kot_to_smarthr: &'static str,
    pub smarthr_to_kot: &'static str,
    pub history: &'static str,
    /// The 連携履歴 pages' own texts: paging and the search by employee code.
    pub hist: &'static HistoryText,
    pub result: &'static str,
    pub when: &'static str,
    pub who: &'static str,
    pub direction: &'static str,
    pub counts: &'static str,
    pub outcome: &'static str,
    pub no_runs: &'static str,
    pub status_before_start: &'static str,
    pub window_open: &'static str,
    /// KOT refused the dashboard's check for an access window `maintenance_windows` does not
    /// list: it is not available now, whatever the configuration says.
    pub window_unlisted: &'static str,
    pub window_closed_before: &'static str,
    pub window_reopens: &'static str,
    pub window_next: &'static str,
    pub reach_checking: &'static str,
    pub reach_ok: &'static str,
    pub reach_no_token: &'static str,
    pub reach_refused: &'static str,
    pub reach_in_window: &'static str,
    pub reach_unreachable: &'static str,
    pub reach_failed: &'static str,
    pub rules_none: &'static str,
    pub rules_loaded: &'static str,
    pub rules_broken: &'static str,
    pub rule_tests_passed_before: &'static str,
    pub rule_tests_passed_after: &'static str,
    pub rule_tests_failed_before: &'static str,
    pub rule_tests_failed_after: &'static str,
    pub rule_decisions: &'static str,
    pub rule_decisions_help: &'static str,
    pub rule_decisions_none: &'static str,
    pub origin_default: &'static str,
    pub origin_current: &'static str,
    pub origin_default_selection: &'static str,
    /// A new employee with no office or employment type (`Problem::Undecided`): before and
    /// after the field's label.
    pub undecided_before: &'static str,
    pub undecided_after: &'static str,
    pub empty: &'static str,
    /// In place of the new value of a clear (the source has none where the target has one),
    /// the most destructive change a sync makes.
    pub clear_mark: &'static str,
    /// After a field's label: the plan found it unreadable in the source
    /// ([`crate::plan::Unreadable`]), so the run does not clear it.
    pub unreadable: &'static str,
    /// Between the direction and the step number in a wizard page's title: `{direction}{step}(1/3)`.
    pub step: &'static str,
    pub reference_date: &'static str,
    pub reference_date_help: &'static str,
    pub next: &'static str,
    pub back: &'static str,
    pub fetching: &'static str,
    /// What a fetch reads from each service, after its name ([`Text::of`]).
    pub roster: &'static str,
    pub fetched: &'static str,
    pub fetch_failed: &'static str,
    pub office: &'static str,
    pub employment_type: &'static str,
    pub defaults_help: &'static str,
    pub none_chosen: &'static str,
    pub filter_all: &'static str,
    /// Around a `status` the list has no filter for: `{before}{given}{after}`.
    pub bad_status_before: &'static str,
    pub bad_status_after: &'static str,
    /// Under a list whose filter and search match no employee.
    pub no_matching_rows: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub code: &'static str,
    pub name: &'static str,
    pub status: &'static str,
    pub changes: &'static str,
    pub from_label: &'static str,
    pub select_filtered: &'static str,
    pub clear_filtered: &'static str,
    pub save_ticks: &'static str,
    pub selected_count: &'static str,
    pub page: &'static str,
    pub prev_page: &'static str,
    pub next_page: &'static str,
    pub confirm: &'static str,
    pub confirm_title: &'static str,
    pub confirm_help: &'static str,
    /// The confirmation page's count of fields the chosen rows empty.
    pub clears_count: &'static str,
    /// Chosen rows no page of the list showed (the rules' selection ticked them).
    pub unseen_before: &'static str,
    pub unseen_after: &'static str,
    pub unseen_mark: &'static str,
    /// The ticks changed after the confirmation page listed them.
    pub selection_changed: &'static str,
    pub sync: &'static str,
    pub created: &'static str,
    pub updated: &'static str,
    pub failed: &'static str,
    pub skipped: &'static str,
    pub running: &'static str,
    pub done_of: &'static str,
    pub run_finished: &'static str,
    pub cancel_run: &'static str,
    pub cancelling: &'static str,
    pub stale_title: &'static str,
    pub stale_help: &'static str,
    pub review_again: &'static str,
    /// Back to step 1 from a reviewed plan too old to sync.
    pub fetch_again: &'static str,
    pub nothing_selected: &'static str,
    pub login: &'static str,
    pub login_name: &'static str,
    pub password: &'static str,
    pub login_failed: &'static str,
    pub login_link_help: &'static str,
    /// An access link opened again, or one that never was: each works once, and the terminal
    /// shows the next.
    pub login_link_spent: &'static str,
    /// Refusals of the request checks, before any page (plain text).
    pub refused_host: &'static str,
    pub refused_origin: &'static str,
    pub refused_too_large: &'static str,
    pub refused_csrf: &'static str,
    pub logout: &'static str,
    pub signed_in_as: &'static str,
    pub not_found: &'static str,
    pub error: &'static str,
    pub more_rows_before: &'static str,
    pub more_rows_after: &'static str,
    pub run_details: &'static str,
    pub selection: &'static str,
    pub defaults: &'static str,
    /// A run's stored defaults when none was given, and when its saved plan was not read.
    pub defaults_none: &'static str,
    pub defaults_unknown: &'static str,
    pub rules: &'static str,
    pub email: &'static str,
    pub to_dashboard: &'static str,
    pub older: &'static str,
    pub newer: &'static str,
    pub new: &'static str,
    pub changed: &'static str,
    pub unchanged: &'static str,
    pub invalid: &'static str,
    pub excluded: &'static str,
    pub not_selected: &'static str,
    /// The 実行結果's list of the plan's employees that were not written, and why.
    pub left_out_title: &'static str,
    /// Before a refused run's recorded reason, which is crewsync's own text as it was kept.
    pub refused_because: &'static str,
    pub action_create: &'static str,
    pub action_update: &'static str,
    pub fields: [&'static str; 12],
    /// Joins a service to a term: "SmartHRの所属事業所", "SmartHR office".
    pub of_joiner: &'static str,
    /// Running, completed, completed with failures, stopped, interrupted.
    pub run_statuses: [&'static str; 6],
}

impl Text {
    /// The card title and wizard heading for a direction, as the seed names them.
    pub fn direction(&self, d: Direction) -> &'static str {
        match d {
            Direction::KotToSmartHr => self.kot_to_smarthr,
            Direction::SmartHrToKot => self.smarthr_to_kot,
        }
    }

    /// 新規登録 / 差分あり / 差分なし / 不正.
    pub fn status(&self, s: Status) -> &'static str {
        match s {
            Status::New => self.new,
            Status::Changed => self.changed,
            Status::Unchanged => self.unchanged,
            Status::Invalid => self.invalid,
        }
    }

    /// A term of one service's, as the seed writes it: "KING OF TIMEの情報取得基準日".
    pub fn of(&self, service: crate::model::Service, term: &str) -> String {
        format!("{service}{}{term}", self.of_joiner)
    }

    /// A history run's status.
    pub fn run_status(&self, s: crate::history::RunStatus) -> &'static str {
        use crate::history::RunStatus as R;
        let i = match s {
            R::Running => 0,
            R::Completed => 1,
            R::CompletedWithFailures => 2,
            R::Stopped => 3,
            R::Interrupted => 4,
            R::Refused => 5,
        };
        self.run_statuses[i]
    }

    /// Where a value came from, as a person reads it: the wizard's own words for the default
    /// (step 2), the target's current value and the default selection; a rule's own name
    /// (`rules/30_offices.rhai:office`) as it is.
    pub fn origin(&self, from: &str) -> String {
        use crate::plan::{CURRENT, DEFAULT_SELECTION, FROM_DEFAULT_OFFICE, FROM_DEFAULT_TYPE};
        match from {
            FROM_DEFAULT_OFFICE | FROM_DEFAULT_TYPE => self.origin_default.to_string(),
            CURRENT => self.origin_current.to_string(),
            DEFAULT_SELECTION => self.origin_default_selection.to_string(),
            rule => rule.to_string(),
        }
    }

    /// A synced field's label (名前, 生年月日, ...).
    pub fn field(&self, f: Field) -> &'static str {
        let i = match f {
            Field::LastName => 0,
            Field::FirstName => 1,
            Field::LastNameKana => 2,
            Field::FirstNameKana => 3,
            Field::Gender => 4,
            Field::BirthDate => 5,
            Field::Email => 6,
            Field::HireDate => 7,
            Field::ResignationDate => 8,
            Field::Office => 9,
            Field::EmploymentType => 10,
            Field::EmpStatus => 11,
        };
        self.fields[i]
    }
}

/// The texts of the 連携履歴 pages: paging, and one employee's timeline across runs.
#[derive(Debug)]
pub struct HistoryText {
    pub search_label: &'static str,
    pub code_placeholder: &'static str,
    pub all_runs: &'static str,
    pub total: &'static str,
    pub first_page: &'static str,
    pub last_page: &'static str,
    pub last_synced: &'static str,
    pub never_synced: &'static str,
    pub no_entries: &'static str,
    pub reason: &'static str,
    pub values_unknown: &'static str,
    pub empty_value: &'static str,
    pub bad_page_before: &'static str,
    pub bad_page_after: &'static str,
    pub past_end: &'static str,
    pub empty_code: &'static str,
    pub read_failed: &'static str,
    pub run_not_found: &'static str,
    /// Created, updated, failed, not attempted, invalid, not selected, excluded.
    pub outcomes: [&'static str; 7],
}

impl HistoryText {
    /// A page number that cannot be shown (`abc`, `0`), as given, for every paged page.
    pub fn bad_page(&self, given: &str) -> String {
        format!("{}{given}{}", self.bad_page_before, self.bad_page_after)
    }

    /// What became of one employee in a run.
    pub fn outcome(&self, o: crate::history::EmployeeOutcome) -> &'static str {
        use crate::history::EmployeeOutcome as O;
        let i = match o {
            O::Created => 0,
            O::Updated => 1,
            O::Failed => 2,
            O::NotAttempted => 3,
            O::Invalid => 4,
            O::NotSelected => 5,
            O::Excluded => 6,
        };
        self.outcomes[i]
    }
}

pub static JA_HISTORY: HistoryText = HistoryText {
    search_label: "社員番号で検索",
    code_placeholder: "例: 00123",
    all_runs: "すべての連携履歴",
    total: "全件数",
    first_page: "最初",
    last_page: "最後",
    last_synced: "最終同期",
    never_synced: "この従業員を書き込んだ同期はまだありません。",
    no_entries: "この社員番号の従業員を含む同期はありません。",
    reason: "理由",
    values_unknown: "（この実行では値を記録していません）",
    empty_value: "（空）",
    bad_page_before: "ページ番号「",
    bad_page_after: "」は使えません。1 以上の数を指定してください。",
    past_end: "このページはありません。最後のページ: ",
    empty_code: "社員番号を入力してください（空白や見えない文字だけでは検索できません）。",
    read_failed: "連携履歴を読み込めませんでした。サーバーのログを確認してください。",
    run_not_found: "この実行結果は連携履歴にありません。",
    outcomes: [
        "新規登録",
        "更新",
        "失敗",
        "未実行",
        "同期できません",
        "選択されず",
        "ルールで対象外",
    ],
};

pub static EN_HISTORY: HistoryText = HistoryText {
    search_label: "Search by employee code",
    code_placeholder: "e.g. 00123",
    all_runs: "All runs",
    total: "Total",
    first_page: "First",
    last_page: "Last",
    last_synced: "Last synced",
    never_synced: "No run has written this employee yet.",
    no_entries: "No run touched an employee with this code.",
    reason: "Reason",
    values_unknown: "(values not recorded for this run)",
    empty_value: "(empty)",
    bad_page_before: "Page \"",
    bad_page_after: "\" cannot be shown: give a page number of 1 or more.",
    past_end: "There is no such page. The last page is ",
    empty_code: "Enter an employee code (spaces or invisible characters alone find nobody).",
    read_failed: "The sync history could not be read; see the server's log.",
    run_not_found: "There is no such run in the sync history.",
    outcomes: [
        "Created",
        "Updated",
        "Failed",
        "Not attempted",
        "Invalid",
        "Not selected",
        "Excluded by rules",
    ],
};

pub static JA: Text = Text {
    html_lang: "ja",
    app: "crewsync",
    dashboard: "連携ダッシュボード",
    start_sync: "同期を開始",
    kot_to_smarthr: "KING OF TIMEからSmartHRへ",
    smarthr_to_kot: "SmartHRからKING OF TIMEへ",
    history: "連携履歴",
    hist: &JA_HISTORY,
    result: "実行結果",
    when: "日時",
    who: "実行者",
    direction: "方向",
    counts: "件数",
    outcome: "結果",
    no_runs: "まだ同期していません。",
    status_before_start: "同期の前に",
    window_open: "KING OF TIMEは今、利用できます。",
    window_unlisted: "KING OF TIMEは今、アクセス制限時間帯としてアクセスを断っています。この時間帯を設定の maintenance_windows に加えると、crewsyncが前もって知らせ、待つこともできます。",
    window_closed_before: "KING OF TIMEはアクセス制限時間帯です（",
    window_reopens: "）。再開: ",
    window_next: "次のアクセス制限時間帯: ",
    reach_checking: "確認しています…（再読み込みで結果を表示します）",
    reach_ok: "トークンで接続できます",
    reach_no_token: "トークンが設定されていません",
    reach_refused: "トークンが受け付けられませんでした（401/403）。トークンを確認してください",
    reach_in_window: "アクセス制限時間帯のため確認していません",
    reach_unreachable: "接続できません",
    reach_failed: "確認できませんでした",
    rules_none: "ルールフォルダは設定されていません。",
    rules_loaded: "ルールフォルダを読み込みました: ",
    rules_broken: "ルールフォルダにエラーがあります: ",
    rule_tests_passed_before: "ルールのテスト ",
    rule_tests_passed_after: " 件すべて成功",
    rule_tests_failed_before: "ルールのテストが失敗しています: ",
    rule_tests_failed_after: " 件",
    rule_decisions: "ルールが従業員ごとに決めた値",
    rule_decisions_help: "次の従業員には、上の既定値ではなくルールが決めた値が使われます。",
    rule_decisions_none: "既定値の代わりにルールが値を決めた従業員はいません。",
    origin_default: "ステップ2の既定値",
    origin_current: "連携先の現在の値",
    origin_default_selection: "既定の選択",
    undecided_before: "新しい従業員の",
    undecided_after: "が決まっていません。ステップ2で既定値を選ぶか、ルールで決めてください",
    empty: "（空）",
    clear_mark: "✗ 削除",
    unreadable: "：連携元ではほぼ全員が空ですが、連携先には値があります。APIトークンにこの項目を読む権限がない可能性が高いため、この同期では削除しません（APIトークンの権限を確認してください）。",
    step: "同期",
    reference_date: "情報取得基準日",
    reference_date_help: "同期対象となるのは、情報取得基準日に在籍する従業員です。",
    next: "次へ",
    back: "戻る",
    fetching: "従業員情報を取得しています",
    roster: "従業員",
    fetched: "件取得",
    fetch_failed: "従業員情報を取得できませんでした",
    office: "所属事業所",
    employment_type: "雇用区分",
    defaults_help: "新規登録する従業員を、どの所属事業所（と雇用区分）に含めるかを設定します。ルールが従業員ごとに決めた場合はそちらが優先されます。",
    none_chosen: "選択しない",
    filter_all: "すべて",
    bad_status_before: "「",
    bad_status_after: "」という状態はありません。all、new、changed、unchanged、invalid のいずれかを指定するか、一覧の絞り込みを使ってください。",
    no_matching_rows: "条件に合う従業員はいません。",
    search: "検索",
    search_placeholder: "社員番号または名前",
    code: "社員番号",
    name: "名前",
    status: "ステータス",
    changes: "差分",
    from_label: "決定元",
    select_filtered: "この条件の全員を選択",
    clear_filtered: "この条件の選択を解除",
    save_ticks: "選択を保存",
    selected_count: "名を選択中",
    page: "ページ",
    prev_page: "前へ",
    next_page: "次へ",
    confirm: "確認",
    confirm_title: "従業員情報を同期します",
    confirm_help: "同期する従業員を確認し、［同期］をクリックしてください。",
    clears_count: "空にする項目",
    unseen_before: "一覧で表示していない選択済みの従業員が ",
    unseen_after: " 名います（ルールによる自動選択など）。先頭に表示しています。変更内容を確かめてください。",
    unseen_mark: "一覧で未表示",
    selection_changed: "この確認ページを開いた後に選択が変わりました。表示し直した内容を確かめてから、もう一度［同期］をクリックしてください。",
    sync: "同期",
    created: "新規登録",
    updated: "更新",
    failed: "失敗",
    skipped: "未実行",
    running: "同期しています",
    done_of: "件完了 / 全",
    run_finished: "同期が終わりました。",
    cancel_run: "同期を中止する",
    cancelling: "中止しています。書き込み中の従業員が終わると止まり、残りは未実行として記録されます。",
    stale_title: "確認した後に変わった従業員がいます",
    stale_help: "次の従業員は、確認した時から連携先で変わったため、書き込みませんでした（未実行）。変更を反映するには、もう一度確認してください。",
    review_again: "もう一度確認する",
    fetch_again: "従業員情報をもう一度取得する",
    nothing_selected: "同期する従業員が選択されていません。",
    login: "ログイン",
    login_name: "お名前（連携履歴に記録されます）",
    password: "パスワード",
    login_failed: "名前またはパスワードが違います。",
    login_link_help: "crewsync serve を起動した端末に表示されたアクセス用リンクを開いてください。",
    login_link_spent: "このアクセス用リンクは使用済みか、正しくありません（リンクは1回だけ使えます）。crewsync serve を起動した端末に表示されている最新のリンクを開いてください。リンクを使うたびに、新しいリンクが表示されます。",
    refused_host: "このサーバーは、起動したときのアドレスでだけ応答します。",
    refused_origin: "このリクエストは、このサーバーのページから送られたものではありません。",
    refused_too_large: "フォームが大きすぎます。",
    refused_csrf: "このフォームは有効期限が切れたか、このサーバーのページから送られたものではありません。ページを再読み込みして、もう一度お試しください。",
    logout: "ログアウト",
    signed_in_as: "ログイン中: ",
    not_found: "見つかりません。",
    error: "エラー",
    more_rows_before: "ほか ",
    more_rows_after: " 名",
    run_details: "実行内容",
    selection: "選択",
    defaults: "既定値",
    defaults_none: "なし",
    defaults_unknown: "不明（保存したプランを読めませんでした）",
    rules: "ルール",
    email: "メール",
    to_dashboard: "連携ダッシュボードへ",
    older: "古い履歴",
    newer: "新しい履歴",
    new: "新規登録",
    changed: "差分あり",
    unchanged: "差分なし",
    invalid: "同期できません",
    excluded: "ルールで対象外",
    not_selected: "選択されていません",
    left_out_title: "同期しなかった従業員",
    refused_because: "この同期は開始できませんでした。記録された理由（crewsyncのメッセージのまま）: ",
    action_create: "新規登録",
    action_update: "更新",
    fields: [
        "姓",
        "名",
        "姓（フリガナ）",
        "名（フリガナ）",
        "性別",
        "生年月日",
        "メールアドレス",
        "入社日",
        "退職日",
        "所属事業所",
        "雇用区分",
        "在籍状況",
    ],
    of_joiner: "の",
    run_statuses: [
        "実行中",
        "完了",
        "一部失敗・未実行",
        "途中で停止（中止、アクセス制限時間帯）",
        "異常終了",
        "開始できず",
    ],
};

pub static EN: Text = Text {
    html_lang: "en",
    app: "crewsync",
    dashboard: "Sync dashboard",
    start_sync: "Start sync",
    kot_to_smarthr: "KING OF TIME to SmartHR",
    smarthr_to_kot: "SmartHR to KING OF TIME",
    history: "Sync history",
    hist: &EN_HISTORY,
    result: "Result",
    when: "When",
    who: "Who",
    direction: "Direction",
    counts: "Counts",
    outcome: "Outcome",
    no_runs: "No sync has run yet.",
    status_before_start: "Before you start",
    window_open: "KING OF TIME is available now.",
    window_unlisted: "KING OF TIME is refusing access now for an access window. Add this window to maintenance_windows in the configuration so that crewsync knows it in advance and can wait for it.",
    window_closed_before: "KING OF TIME is in its access window (",
    window_reopens: "); it reopens at ",
    window_next: " Next access window: ",
    reach_checking: "checking… (reload to see the result)",
    reach_ok: "answers with its token",
    reach_no_token: "no token is configured",
    reach_refused: "the token was refused (401/403); check the token",
    reach_in_window: "not checked during the access window",
    reach_unreachable: "unreachable",
    reach_failed: "could not be checked",
    rules_none: "No rules folder is configured.",
    rules_loaded: "Rules folder loaded: ",
    rules_broken: "The rules folder has errors: ",
    rule_tests_passed_before: "rule tests: all ",
    rule_tests_passed_after: " passed",
    rule_tests_failed_before: "rule tests failing: ",
    rule_tests_failed_after: "",
    rule_decisions: "Values the rules decide per employee",
    rule_decisions_help: "These employees get what the rules decided instead of the defaults above.",
    rule_decisions_none: "The rules decide no employee's value instead of the defaults.",
    origin_default: "the default of step 2",
    origin_current: "its current value in the target",
    origin_default_selection: "the default selection",
    undecided_before: "",
    undecided_after: " not decided for a new employee: choose a default in step 2 or decide it in a rule",
    empty: "(empty)",
    clear_mark: "✗ clear",
    unreadable: ": empty in the source for nearly everyone while the target has values: probably unreadable (check the API token's permissions), so this sync does not clear it.",
    step: " sync ",
    reference_date: "Reference date",
    reference_date_help: "Only employees employed on the reference date are synced.",
    next: "Next",
    back: "Back",
    fetching: "Fetching employees",
    roster: "employees",
    fetched: "fetched",
    fetch_failed: "The employees could not be fetched",
    office: "Office",
    employment_type: "Employment type",
    defaults_help: "The office (and employment type) new employees are created in. Where rules decide per employee, the rules win.",
    none_chosen: "None",
    filter_all: "All",
    bad_status_before: "There is no status '",
    bad_status_after: "': use all, new, changed, unchanged or invalid, or the list's filters.",
    no_matching_rows: "No employee matches.",
    search: "Search",
    search_placeholder: "Employee code or name",
    code: "Employee code",
    name: "Name",
    status: "Status",
    changes: "Changes",
    from_label: "Decided by",
    select_filtered: "Select everyone in this filter",
    clear_filtered: "Clear this filter's selection",
    save_ticks: "Save selection",
    selected_count: "selected",
    page: "Page",
    prev_page: "Previous",
    next_page: "Next",
    confirm: "Confirm",
    confirm_title: "Sync employee information",
    confirm_help: "Check the employees to sync, then press Sync.",
    clears_count: "Fields cleared",
    unseen_before: "",
    unseen_after: " chosen employees were not shown on the list (ticked by the rules' selection, for instance). They are listed first: check their changes.",
    unseen_mark: "not shown on the list",
    selection_changed: "The selection changed after this confirmation page was opened. Check the page as shown again, then press Sync.",
    sync: "Sync",
    created: "Created",
    updated: "Updated",
    failed: "Failed",
    skipped: "Not attempted",
    running: "Syncing",
    done_of: "done of",
    run_finished: "The sync has finished.",
    cancel_run: "Cancel the sync",
    cancelling: "Cancelling: the sync stops once the employee being written is done; the rest are recorded as not attempted.",
    stale_title: "Some employees changed after you reviewed them",
    stale_help: "These employees changed in the target since you reviewed them, so they were not written (not attempted). Review again to pick up the change.",
    review_again: "Review again",
    fetch_again: "Fetch the employees again",
    nothing_selected: "No employee is selected.",
    login: "Log in",
    login_name: "Your name (recorded in the sync history)",
    password: "Password",
    login_failed: "Wrong name or password.",
    login_link_help: "Open the access link printed in the terminal where crewsync serve was started.",
    login_link_spent: "This access link was already used, or is not valid (each link works once). Open the newest link shown in the terminal where crewsync serve runs: a new one is printed each time a link is used.",
    refused_host: "This server answers only to the address it was started on.",
    refused_origin: "The request did not come from this server's pages.",
    refused_too_large: "The form is too large.",
    refused_csrf: "This form has expired or did not come from this server. Reload the page and try again.",
    logout: "Log out",
    signed_in_as: "Signed in as ",
    not_found: "Not found.",
    error: "Error",
    more_rows_before: "and ",
    more_rows_after: " more",
    run_details: "Run",
    selection: "Selection",
    defaults: "Defaults",
    defaults_none: "None",
    defaults_unknown: "Unknown (the saved plan could not be read)",
    rules: "Rules",
    email: "Email",
    to_dashboard: "To the dashboard",
    older: "Older",
    newer: "Newer",
    new: "New",
    changed: "Changed",
    unchanged: "Unchanged",
    invalid: "Invalid",
    excluded: "Excluded by rules",
    not_selected: "Not selected",
    left_out_title: "Employees not synced",
    refused_because: "This sync did not start. The reason recorded: ",
    action_create: "Create",
    action_update: "Update",
    fields: [
        "Last name",
        "First name",
        "Last name (kana)",
        "First name (kana)",
        "Gender",
        "Birth date",
        "Email",
        "Hire date",
        "Resignation date",
        "Office",
        "Employment type",
        "Employment status",
    ],
    of_joiner: " ",
    run_statuses: [
        "Running",
        "Completed",
        "Completed with failures",
        "Stopped",
        "Interrupted",
        "Refused",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_unless_english_is_preferred() {
        assert_eq!(Lang::from_accept_language(None), Lang::Ja);
        assert_eq!(Lang::from_accept_language(Some("fr-FR,de")), Lang::Ja);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("ja,en;q=0.8")), Lang::Ja);
        assert_eq!(
            Lang::from_accept_language(Some("ja;q=0.5,en;q=0.8")),
            Lang::En
        );
    }

    #[test]
    fn origins_are_said_in_the_pages_words_and_rules_by_their_name() {
        assert_eq!(
            JA.origin(crate::plan::FROM_DEFAULT_OFFICE),
            "ステップ2の既定値"
        );
        assert_eq!(
            EN.origin(crate::plan::CURRENT),
            "its current value in the target"
        );
        assert_eq!(
            JA.origin("rules/30_offices.rhai:office"),
            "rules/30_offices.rhai:office"
        );
    }

    #[test]
    fn field_labels_follow_field_all() {
        assert_eq!(JA.field(Field::BirthDate), "生年月日");
        assert_eq!(EN.field(Field::EmploymentType), "Employment type");
    }
}
