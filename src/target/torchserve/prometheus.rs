//! Prometheus' text exposition format, read by hand: enough of it to sum a
//! counter's samples whose labels match. Comments (`# HELP`, `# TYPE`),
//! blank lines, label values with commas, escaped quotes and a trailing
//! comma (`{a="x,y",b="z",}` as TorchServe writes them), values like `2.0`,
//! `1.2E7` or `+Inf`, and an optional timestamp after the value.

/// What can be wrong with one line of a metrics page.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the metrics page is not a Prometheus sample ({why}): {text}")]
pub struct SampleError {
    pub line: usize,
    pub why: &'static str,
    pub text: String,
}

/// One sample: `name{labels} value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Labels,
    pub value: f64,
}

impl Sample {
    /// The value of label `name`, where the sample has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every sample of a page, in order; the first malformed line is an error.
pub fn samples(page: &str) -> Result<Vec<Sample>, SampleError> {
    page.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(number, line)| {
            sample(line).map_err(|why| SampleError {
                line: number,
                why,
                text: line.chars().take(200).collect(),
            })
        })
        .collect()
}

fn sample(line: &str) -> Result<Sample, &'static str> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or("no value")?;
    let name = &line[..name_end];
    if name.is_empty() {
        return Err("no metric name");
    }
    let (labels, rest) = match line[name_end..].strip_prefix('{') {
        Some(inside) => labels(inside)?,
        None => (Vec::new(), &line[name_end..]),
    };
    let value = rest.split_whitespace().next().ok_or("no value")?;
    let value = value
        .parse::<f64>()
        .map_err(|_| "the value is not a number")?;
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// A sample's labels, in order: (name, value).
type Labels = Vec<(String, String)>;

/// Reads `key="value",...}` and gives the labels and what follows the `}`.
fn labels(mut text: &str) -> Result<(Labels, &str), &'static str> {
    let mut labels = Vec::new();
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix('}') {
            return Ok((labels, rest));
        }
        if text.is_empty() {
            return Err("the labels have no closing '}'");
        }
        let (key, rest) = text.split_once('=').ok_or("a label has no '='")?;
        let rest = rest
            .trim_start()
            .strip_prefix('"')
            .ok_or("a label value is not quoted")?;
        let (value, rest) = quoted(rest)?;
        labels.push((key.trim().to_string(), value));
        let rest = rest.trim_start();
        text = rest.strip_prefix(',').unwrap_or(rest);
        if !text.trim_start().starts_with('}') && rest.len() == text.len() {
            return Err("labels are not separated by ','");
        }
    }
}

/// Reads a label value up to its closing quote (after the opening one),
/// undoing the format's escapes (`\\`, `\"`, `\n`).
fn quoted(text: &str) -> Result<(String, &str), &'static str> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[at + 1..])),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            _ => value.push(c),
        }
    }
    Err("a label value has no closing quote")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_torchserve_lines_comments_and_odd_values() {
        let page = "# HELP ts_inference_requests_total Torchserve counter\n\
                    # TYPE ts_inference_requests_total counter\n\
                    \n\
                    ts_inference_requests_total{model_name=\"decode\",model_version=\"default\",hostname=\"vm\",} 2.0\n\
                    ts_queue_latency_microseconds{model_name=\"a,b\", note=\"say \\\"hi\\\"\\n\"} 1.2E7 1700000000000\n\
                    up 1\n\
                    inf_metric{} +Inf\n";
        let all = samples(page).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[0].name, "ts_inference_requests_total");
        assert_eq!(all[0].label("model_name"), Some("decode"));
        assert_eq!(all[0].label("hostname"), Some("vm"));
        assert_eq!(all[0].value, 2.0);
        assert_eq!(all[1].label("model_name"), Some("a,b"));
        assert_eq!(all[1].label("note"), Some("say \"hi\"\n"));
        assert_eq!(all[1].value, 1.2e7);
        assert_eq!((all[2].name.as_str(), all[2].value), ("up", 1.0));
        assert!(all[2].labels.is_empty());
        assert!(all[3].value.is_infinite());
    }

    #[test]
    fn a_malformed_line_is_named() {
        for (line, why) in [
            ("novalue", "no value"),
            ("m{a=\"x\"} abc", "the value is not a number"),
            ("m{a=\"x} 1", "a label value has no closing quote"),
            ("m{a=x} 1", "a label value is not quoted"),
            ("m{a} 1", "a label has no '='"),
            ("m{a=\"x\" b=\"y\"} 1", "labels are not separated by ','"),
            ("m{a=\"x\"}", "no value"),
            ("m{a=\"x\",", "the labels have no closing '}'"),
        ] {
            let err = samples(&format!("# ok\nfine 1\n{line}\n")).unwrap_err();
            assert_eq!((err.line, err.why), (3, why), "{line}");
        }
    }

    const PAGE: &str = "# TYPE ts_inference_requests_total counter\n\
                        ts_inference_requests_total{model_name=\"a,b\",note=\"\\\"x\\n\",} 2.0 17\n\
                        up 1\n";

    proptest::proptest! {
        #![proptest_config(crate::wire::fuzz::config())]

        /// Whatever a metrics port answers, the page is read or a line named.
        #[test]
        fn any_page_is_read_or_a_line_is_named(page in proptest::prelude::any::<String>()) {
            let _ = samples(&page);
        }

        #[test]
        fn edited_pages_are_read_or_a_line_is_named(edits in crate::wire::fuzz::edits()) {
            let page = crate::wire::fuzz::apply(PAGE.as_bytes(), &edits);
            let _ = samples(&String::from_utf8_lossy(&page));
        }
    }
}
