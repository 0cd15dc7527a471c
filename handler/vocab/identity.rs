//! A declaration's identity (its stack's name and its logical id), as recorded on the accounts
//! it creates, and the stable hash behind it (also the seed of every jitter). Part of the record
//! tag's wire format: changing either would orphan every account created before.

/// FNV-1a, 64 bits: a stable hash (std's hasher may change between Rust releases).
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The identity of a declaration: the stack's name (not its id, which changes when a stack left
/// in ROLLBACK_COMPLETE is deleted and created again under the same name) and the logical id.
pub fn resource_identity(stack_id: &str, logical_resource_id: &str) -> String {
    // arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID -> everything before /UUID.
    let stack = match stack_id.rsplit_once('/') {
        Some((named, _uuid)) if named.contains(":stack/") => named,
        _ => stack_id,
    };
    format!("{:016x}", fnv1a(&[stack, logical_resource_id]))
}

/// A short digest of the AccountName and Email a template declared (the e-mail address without
/// case, as Organizations compares it): 12 hex digits, so the record tag stays within
/// Organizations' 256 characters with the longest role name and OU id.
pub fn declared_names(name: &str, email: &str) -> String {
    format!(
        "{:012x}",
        fnv1a(&[name, &email.to_ascii_lowercase()]) & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_survives_a_new_stack_id_under_the_same_stack_name() {
        let first = "arn:aws:cloudformation:us-east-1:123456789012:stack/accounts/11111111-aaaa";
        let again = "arn:aws:cloudformation:us-east-1:123456789012:stack/accounts/22222222-bbbb";
        let other = "arn:aws:cloudformation:us-east-1:123456789012:stack/other/11111111-aaaa";
        assert_eq!(
            resource_identity(first, "Team"),
            resource_identity(again, "Team")
        );
        assert_ne!(
            resource_identity(first, "Team"),
            resource_identity(other, "Team")
        );
        assert_ne!(
            resource_identity(first, "Team"),
            resource_identity(first, "Other")
        );
        // Not an ARN: the whole value counts.
        assert_ne!(resource_identity("a/b", "T"), resource_identity("a/c", "T"));
    }
}
