//! The container image of deploy/build-image.sh --prebuilt, built with
//! buildah and run the way this machine allows (podman's runtime is refused
//! setrlimit here): `buildah mount` of a container of it, then chroot into
//! it. The binary there prints its version and runs a short bench against
//! an `imgwire serve` outside, over loopback.

use super::{imgwire_binary, read_json, repo_path, succeed, NEEDS};
use crate::common::serve_process::serve_process;
use std::path::PathBuf;
use std::process::Command;

/// An image built for this test, and the container mounted from it;
/// unmounted and removed, image and all, when dropped.
struct MountedImage {
    image: String,
    container: Option<String>,
    root: PathBuf,
}

/// `buildah ARGS`, its stdout trimmed, once it succeeded.
fn buildah(args: &[&str]) -> String {
    let out = succeed(
        Command::new("buildah").args(args),
        &format!("buildah {args:?}"),
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl MountedImage {
    fn build() -> MountedImage {
        let image = format!("imgwire-scale-out-test-{}:latest", std::process::id());
        let mut image_guard = MountedImage {
            image: image.clone(),
            container: None,
            root: PathBuf::new(),
        };
        let out = succeed(
            Command::new(repo_path("deploy/build-image.sh"))
                .args(["--prebuilt", imgwire_binary()])
                .env("IMGWIRE_IMAGE", &image),
            &format!("deploy/build-image.sh --prebuilt ({NEEDS})"),
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), image);
        let container = buildah(&["from", &image]);
        image_guard.container = Some(container.clone());
        image_guard.root = PathBuf::from(buildah(&["mount", &container]));
        image_guard
    }

    /// `chroot ROOT /usr/local/bin/imgwire ARGS`: the image's binary with
    /// the image's libraries only.
    fn imgwire(&self, args: &[&str]) -> Command {
        let mut command = Command::new("chroot");
        command
            .arg(&self.root)
            .arg("/usr/local/bin/imgwire")
            .args(args);
        command
    }
}

impl Drop for MountedImage {
    fn drop(&mut self) {
        if let Some(container) = &self.container {
            let _ = Command::new("buildah").args(["umount", container]).output();
            let _ = Command::new("buildah").args(["rm", container]).output();
        }
        let _ = Command::new("buildah").args(["rmi", &self.image]).output();
    }
}

#[test]
#[ignore = "needs slurm-wlm/munge/buildah: scripts/test.sh installs them"]
fn the_prebuilt_image_runs_imgwire_against_a_server_outside_it() {
    let mounted = MountedImage::build();
    // Only the binary, the loader and the libraries ldd named: no shell.
    assert!(!mounted.root.join("bin/sh").exists());
    let version = succeed(&mut mounted.imgwire(&["--version"]), "imgwire --version");
    let host = succeed(Command::new(imgwire_binary()).arg("--version"), "--version");
    assert_eq!(version.stdout, host.stdout);

    let (_server, rest, grpc, _) = serve_process(&[]);
    let bench = [
        "bench",
        "--load",
        "closed",
        "--requests",
        "20",
        "-c",
        "2",
        "--sizes",
        "48x64",
        "--payloads",
        "binary",
        "--protocols",
        "rest,grpc",
        "--quiet",
        "--brief",
        "--export-json",
        "/tmp/report.json",
        "--rest-url",
        &rest,
        "--grpc-url",
        &grpc,
    ];
    succeed(&mut mounted.imgwire(&bench), "imgwire bench in the image");
    // Read from outside: the report the chrooted bench wrote in the image.
    let report = read_json(&mounted.root.join("tmp/report.json"));
    let scenarios = report["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 2, "{report}");
    for scenario in scenarios {
        assert_eq!(scenario["requests"].as_u64(), Some(20), "{scenario}");
        assert_eq!(scenario["errors"].as_u64(), Some(0), "{scenario}");
    }
    assert_eq!(report["settings"]["rest_url"].as_str(), Some(rest.as_str()));
}
