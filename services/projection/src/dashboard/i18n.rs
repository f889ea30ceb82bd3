//! The two page languages: Chinese first, English on `?lang=en` (remembered in a
//! cookie).

/// The language a page is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 中文, the default.
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `zh` or `en` (any case); anything else is no language.
    pub fn parse(text: &str) -> Option<Lang> {
        match text.to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code used in the query and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The `lang` attribute of the page.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The text in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The name of an org level.
    pub fn level(self, level: &str) -> &'static str {
        match (self, level) {
            (Lang::Zh, "district") => "区",
            (Lang::Zh, "street") => "街道",
            (Lang::Zh, "community") => "社区",
            (Lang::En, "district") => "district",
            (Lang::En, "street") => "street",
            (Lang::En, "community") => "community",
            _ => "",
        }
    }

    /// A period as the period selector offers it.
    pub fn period(self, period: &str) -> String {
        match period {
            "THIS_MONTH" => self.t("本月", "this month").to_owned(),
            "LAST_MONTH" => self.t("上月", "last month").to_owned(),
            "THIS_YEAR" => self.t("本年", "this year").to_owned(),
            p if p.len() == 6 => match self {
                Lang::Zh => format!("{}年{}月", &p[..4], p[4..].trim_start_matches('0')),
                Lang::En => format!("{}-{}", &p[..4], &p[4..]),
            },
            p => match self {
                Lang::Zh => format!("{p}年"),
                Lang::En => p.to_owned(),
            },
        }
    }
}
