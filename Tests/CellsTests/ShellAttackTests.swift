import Foundation
import Testing

/// The shell under hostile input: odd commands, editors that misbehave, signal bursts.
@Suite("Notebook shell under attack", .serialized)
struct ShellAttackTests {
    /// A shell on `text` (a notebook written to a file of its own), with `environment` added.
    func shell(notebook text: String, environment: [String: String] = [:]) throws -> PseudoTerminal {
        let path = temporaryPath("attack.cells")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let home = temporaryPath("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return try PseudoTerminal(cellsExecutable.path, [path], environment: [
            "HOME": home, "KAFKA_BOOTSTRAP": "127.0.0.1:1", "VISUAL": "",
        ].merging(environment) { $1 })
    }

    /// An executable shell script standing in for $EDITOR.
    func editorScript(_ body: String) throws -> String {
        let path = temporaryPath("editor.sh")
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test("an empty notebook: :goto, :show and :edit with a number are errors, not a trap on 1...0")
    func emptyNotebook() throws {
        let term = try shell(notebook: "")
        #expect(term.wait(for: "cells> "))
        for command in [":goto 1", ":show 0", ":edit 5", ":goto -1"] {
            let mark = term.screen.count
            term.type(command + "\r")
            #expect(term.wait(for: "the notebook has no cells", after: mark), "\(command)")
        }
        let mark = term.screen.count
        term.type(":goto 99999999999999999999\r")
        #expect(term.wait(for: "takes a cell number", after: mark))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test("a burst of Ctrl-C at the prompt is one Ctrl-C: the shell stays, the terminal is usable")
    func interruptBurstAtPrompt() throws {
        let term = try shell(notebook: "SELECT 1;\n")
        #expect(term.wait(for: "cells [1/1]> "))
        for _ in 0..<300 { term.signal(SIGINT); usleep(1000) }
        #expect(term.wait(for: "^C"))
        Thread.sleep(forTimeInterval: 0.5)
        let mark = term.screen.count
        term.type("CREATE SOURCE s USING file OPTIONS ('path' = '/nonexistent/answer42.jsonl');\r")
        #expect(term.wait(for: "no such file or folder: /nonexistent/answer42.jsonl", after: mark))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test("Ctrl-C twice in the editor belongs to the editor: the shell does not die under it")
    func interruptsDuringEdit() throws {
        let editor = try editorScript("trap '' INT\nsleep 2\nprintf \"CREATE SOURCE s USING file OPTIONS ('path' = '/nonexistent/answer42.jsonl');\\n\" > \"$1\"")
        let term = try shell(notebook: "SELECT 1;\n", environment: ["EDITOR": editor])
        #expect(term.wait(for: "cells [1/1]> "))
        term.type(":edit\r")
        Thread.sleep(forTimeInterval: 0.5)
        term.signal(SIGINT)
        Thread.sleep(forTimeInterval: 0.2)
        term.signal(SIGINT)
        #expect(term.wait(for: "cell 1 edited"))
        #expect(term.wait(for: "cells [1/1]> "))
        // The Ctrl-C the editor had does not eat the first line typed after it.
        let mark = term.screen.count
        term.type("\r")
        #expect(term.wait(for: "no such file or folder: /nonexistent/answer42.jsonl", after: mark))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test("an editor that saves invalid UTF-8 leaves the cell unchanged with the byte named")
    func editorWritesInvalidUTF8() throws {
        let editor = try editorScript("printf 'SELECT \\351;\\n' > \"$1\"")
        let term = try shell(notebook: "SELECT 1;\n", environment: ["EDITOR": editor])
        #expect(term.wait(for: "cells [1/1]> "))
        term.type(":edit\r")
        #expect(term.wait(for: "invalid UTF-8 (byte 0xE9) at line 1, column 8 of the edited cell"))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test("an editor that deletes the file leaves the cell unchanged, saying so")
    func editorDeletesTheFile() throws {
        let term = try shell(notebook: "SELECT 1;\n", environment: ["EDITOR": "rm"])
        #expect(term.wait(for: "cells [1/1]> "))
        term.type(":edit\r")
        #expect(term.wait(for: "the editor left no file at"))
        #expect(!term.screen.contains("NSCocoaErrorDomain"))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test(":write refuses a read-only notebook, keeps a writable one's mode, and writes through a symlink")
    func writeKeepsTheFile() throws {
        let readOnly = temporaryPath("ro.cells")
        try "SELECT 1;\n".write(toFile: readOnly, atomically: true, encoding: .utf8)
        chmod(readOnly, 0o444)
        var term = try PseudoTerminal(cellsExecutable.path, [readOnly], environment: [
            "HOME": temporaryPath("home"), "EDITOR": "sed -i s/1/2/", "VISUAL": "",
        ])
        #expect(term.wait(for: "cells [1/1]> "))
        term.type(":edit\r")
        #expect(term.wait(for: "cell 1 edited"))
        term.type(":write\r")
        #expect(term.wait(for: "it is read-only (mode 444)"))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
        #expect(try String(contentsOfFile: readOnly, encoding: .utf8) == "SELECT 1;\n")

        let real = temporaryPath("real.cells"), link = temporaryPath("link.cells")
        try "SELECT 1;\n".write(toFile: real, atomically: true, encoding: .utf8)
        chmod(real, 0o600)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        term = try PseudoTerminal(cellsExecutable.path, [link], environment: [
            "HOME": temporaryPath("home"), "EDITOR": "sed -i s/1/2/", "VISUAL": "",
        ])
        #expect(term.wait(for: "cells [1/1]> "))
        term.type(":edit\r")
        #expect(term.wait(for: "cell 1 edited"))
        term.type(":write\r")
        #expect(term.wait(for: "wrote \(link)"))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == real)
        #expect(try String(contentsOfFile: real, encoding: .utf8) == "SELECT 2;\n")
        #expect(try FileManager.default.attributesOfItem(atPath: real)[.posixPermissions] as? Int == 0o600)
    }

    @Test("SIGTERM while the editor runs ends the editor and the shell")
    func terminateDuringEdit() throws {
        let editor = try editorScript("exec sleep 60")
        let term = try shell(notebook: "SELECT 1;\n", environment: ["EDITOR": editor])
        #expect(term.wait(for: "cells [1/1]> "))
        term.type(":edit\r")
        Thread.sleep(forTimeInterval: 0.5)
        // To cells alone (kill PID, a service manager): it passes the request on to the
        // editor rather than waiting the minute out.
        let asked = ContinuousClock.now
        term.signalLeader(SIGTERM)
        #expect(term.exitStatus(timeout: .seconds(10)) != nil)
        #expect(ContinuousClock.now - asked < .seconds(10))
    }
}
