//! Proportional set size (PSS) of a process tree, from `/proc` (Linux).

use std::collections::{BTreeMap, HashMap};

/// PSS (KiB) of every descendant of `root` whose command is not in `skip`, summed by command
/// (the app, `WebKitWebProces`, `WebKitNetworkP`…: the kernel cuts names at 15 bytes).
pub fn tree_pss_kib_by_command(root: u32, skip: &[&str]) -> BTreeMap<String, u64> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut names: HashMap<u32, String> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid …": the command may hold spaces, so split after the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            children.entry(ppid).or_default().push(pid);
            names.insert(pid, stat[open + 1..close].to_owned());
        }
    }
    let mut by_command = BTreeMap::new();
    let mut stack = children.get(&root).cloned().unwrap_or_default();
    while let Some(pid) = stack.pop() {
        stack.extend(children.get(&pid).cloned().unwrap_or_default());
        let name = names.get(&pid).cloned().unwrap_or_default();
        if skip.iter().any(|s| name.starts_with(s)) {
            continue;
        }
        *by_command.entry(name).or_insert(0) += pss_kib(pid);
    }
    by_command
}

fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
